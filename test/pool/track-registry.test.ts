/**
 * TrackRegistry (src/pool/TrackRegistry.ts) as a pure unit: one record per
 * track id, claims taken and checked in one synchronous call (409 naming
 * the field and the holder), WebRTC base ids that cover their layers,
 * readers per track. The agent-level race is in track-ids.test.ts.
 */
import t from 'tap';
import { ConflictError } from '../../src/errors';
import { TrackRegistry } from '../../src/pool/TrackRegistry';

t.test('tracks: one record per id, the first stands', async (t) => {
  const r = new TrackRegistry();
  t.ok(r.add({ id: 'a', nodeId: 'n1', kind: 'audio', clockRate: 48000 }));
  t.notOk(r.add({ id: 'a', nodeId: 'n2', kind: 'video', clockRate: 90000 }), 'a second record of the id is refused');
  t.equal(r.get('a')?.nodeId, 'n1');
  t.equal(r.holderOf('a'), 'n1');
  r.add({ id: 'b', nodeId: 'n2', kind: 'video', clockRate: 90000, codec: 'VP8' });
  t.same(r.homedOn('n2'), ['b']);
  r.get('b')!.readers.set('n1', 7);
  const gone = r.remove('b');
  t.equal(gone?.readers.get('n1'), 7, 'removal hands back the readers to unlink');
  t.equal(r.get('b'), undefined);
  t.equal(r.remove('b'), undefined);
});

t.test('claims: checked and taken at once; 409 names the field and the holder', async (t) => {
  const r = new TrackRegistry();
  r.claimTrack('cam', 'n1', 't1');
  t.equal(r.claims(), 1);
  t.equal(r.holderOf('cam'), 'n1');
  const again = (() => {
    try {
      r.claimTrack('cam', 'n2', 't2');
      return undefined;
    } catch (e) {
      return e as ConflictError;
    }
  })();
  t.ok(again instanceof ConflictError, 'a second claim is a ConflictError');
  t.equal(again?.field, 'trackId');
  t.match(again?.message, /already exists on this agent: cam \(node n1\)/);
  r.add({ id: 'cam', nodeId: 'n1', kind: 'video', clockRate: 90000 });
  r.releaseClaim('cam');
  t.equal(r.claims(), 0);
  t.throws(() => r.claimTrack('cam', 'n1', 't1'), /already exists on this agent: cam$/, 'a published id cannot be claimed (same node: no node named)');
});

t.test('WebRTC bases: a base covers its layers, all or none', async (t) => {
  const r = new TrackRegistry();
  t.same(r.claimBases(['t1-0', 't1-1'], 'n1', 't1', 'op1'), ['t1-0', 't1-1']);
  t.equal(r.holderOf('t1-1:h'), 'n1', 'a layer of a claimed base is taken');
  t.equal(r.holderOf('t1-2:h'), undefined);
  t.throws(() => r.claimTrack('t1-0:q', 'n2', 'x'), /already exists/, 'a plain publish of a layer id is refused');
  // A published layer takes its base.
  r.add({ id: 't2-0:f', nodeId: 'n2', kind: 'video', clockRate: 90000 });
  t.equal(r.baseHolder('t2-0'), 'n2');
  t.throws(() => r.claimBases(['t3-0', 't2-0'], 'n1', 't3', 'op3'), { field: 'options.tracks.1.mid', message: /track id t2-0 is already taken/ }, 'the taken base is named by its index');
  t.equal(r.holderOf('t3-0'), undefined, 'nothing of a refused operation is taken');
  // The same operation again keeps what it holds (nothing new taken).
  t.throws(() => r.claimBases(['t1-0'], 'n1', 't1', 'op1'), /already taken/, 'a base held is held, even by its own operation');
  r.releaseClaims((c) => c.operationId === 'op1');
  t.equal(r.claims(), 0);
  t.same(r.claimBases(['t1-0'], 'n1', 't1', 'op1b'), ['t1-0'], 'free again once released');
});

t.test("stand-ins for other agents' tracks carry their source, by reference", async (t) => {
  const r = new TrackRegistry();
  const remote = { ip: '10.0.0.2', port: 4000, ssrc: 77, exportId: 'e1', gone: false };
  r.add({ id: 'far', nodeId: 'n1', kind: 'video', clockRate: 90000, remote });
  r.add({ id: 'near', nodeId: 'n1', kind: 'audio', clockRate: 48000 });
  t.same(r.remotes().map((e) => e.id), ['far'], 'only stand-ins are remotes');
  r.remotes()[0]!.remote.gone = true;
  t.equal(remote.gone, true, 'the source record is shared, not copied');
  t.equal(r.remove('far')?.remote, remote, 'removal hands back the source (to tell it)');
  t.same(r.remotes(), []);
});

t.test('layersOf: a simulcast publication by its base or one layer, layers in publication order', async (t) => {
  const r = new TrackRegistry();
  const format = { name: 'VP8', clockRate: 90000, fmtp: {} };
  for (const rid of ['q', 'h', 'f']) r.add({ id: `p-1:${rid}`, nodeId: 'n1', kind: 'video', clockRate: 90000, format });
  r.add({ id: 'p-0', nodeId: 'n1', kind: 'audio', clockRate: 48000, format: { name: 'opus', clockRate: 48000, fmtp: {} } });
  r.add({ id: 'x:1', nodeId: 'n1', kind: 'video', clockRate: 90000 });
  r.add({ id: 'x:2', nodeId: 'n1', kind: 'video', clockRate: 90000 });
  const ids = (from: string) => r.layersOf(from)?.map((x) => x.id);
  t.same(ids('p-1'), ['p-1:q', 'p-1:h', 'p-1:f'], 'the whole publication');
  t.same(ids('p-1:h'), ['p-1:q', 'p-1:h', 'p-1:f'], 'one layer: its publication');
  t.equal(ids('p-1:z'), undefined, 'no such layer');
  t.equal(ids('p-0'), undefined, 'a track of its own');
  t.equal(ids('x'), undefined, 'plain tracks (no WebRTC format) are no layers');
  r.remove('p-1:f');
  r.remove('p-1:h');
  t.equal(ids('p-1'), undefined, 'one layer left is no layered publication');
});
