/**
 * A network namespace of the test's own, joined to the host by a veth pair
 * with a /30 that nothing else on the machine uses, for clients behind a
 * real, shaped link (tc on the host side shapes what goes towards them).
 * Names and addresses are unique per run (other engineers' tests run at the
 * same time); everything is removed at teardown. Needs root and iproute2.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';

export interface Netns {
  name: string;
  /** The veth end on the host (the agent listens on its address). */
  hostIf: string;
  hostIp: string;
  /** The end inside the namespace. */
  nsIf: string;
  nsIp: string;
  /** An executable that runs /usr/bin/chromium inside the namespace (for playwright's executablePath). */
  chromium: string;
  /** `tc -s qdisc show` of the host end: packets the shaper dropped. */
  shaperDrops(): number;
  /** Replaces the host end's qdisc (a step of the link's rate mid-test). */
  reshape(shape: string[]): void;
}

const run = (args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** A /30 in 10.213.0.0/16 that no interface of the machine has an address in. */
function freeSubnet(): [string, string] {
  const used = run(['ip', '-4', '-o', 'addr', 'show']);
  for (let i = 0; i < 50; i++) {
    const base = randomInt(0, 16384) * 4;
    const prefix = `10.213.${base >> 8}.`;
    const host = `${prefix}${(base & 255) + 1}`;
    const ns = `${prefix}${(base & 255) + 2}`;
    if (!used.includes(` ${host}/`) && !used.includes(` ${ns}/`)) return [host, ns];
  }
  throw new Error('no free /30 in 10.213.0.0/16');
}

/** Makes the namespace and the veth pair; `shape` is the tc qdisc for the host end (e.g. ['tbf', 'rate', '400kbit', ...]). */
export function makeNetns(t: Test, shape: string[]): Netns {
  const suffix = `${(process.pid % 4096).toString(36)}${randomBytes(3).toString('hex')}`;
  const name = `wa-${suffix}`;
  const hostIf = `wah${suffix}`;
  const nsIf = `wan${suffix}`;
  const [hostIp, nsIp] = freeSubnet();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  const cleanup = () => {
    try {
      run(['ip', 'netns', 'del', name]); // takes the pair with it
    } catch {
      /* not made (yet) */
    }
    try {
      run(['ip', 'link', 'del', hostIf]);
    } catch {
      /* gone with the namespace */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  t.teardown(cleanup);
  try {
    run(['ip', 'netns', 'add', name]);
    run(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    run(['ip', 'link', 'set', nsIf, 'netns', name]);
    run(['ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    run(['ip', 'link', 'set', hostIf, 'up']);
    run(['ip', '-n', name, 'addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
    run(['ip', '-n', name, 'link', 'set', nsIf, 'up']);
    run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', name, 'route', 'add', 'default', 'via', hostIp]);
    run(['tc', 'qdisc', 'add', 'dev', hostIf, 'root', ...shape]);
  } catch (err) {
    cleanup();
    throw err;
  }
  const chromium = path.join(dir, 'chromium');
  fs.writeFileSync(chromium, `#!/bin/sh\nexec ip netns exec ${name} /usr/bin/chromium "$@"\n`, { mode: 0o755 });
  return {
    name,
    hostIf,
    hostIp,
    nsIf,
    nsIp,
    chromium,
    shaperDrops: () => Number(/dropped (\d+)/.exec(run(['tc', '-s', 'qdisc', 'show', 'dev', hostIf]))?.[1] ?? NaN),
    reshape: (next: string[]) => {
      run(['tc', 'qdisc', 'replace', 'dev', hostIf, 'root', ...next]);
    },
  };
}
