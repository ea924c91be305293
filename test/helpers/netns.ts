/**
 * A network namespace made by a test: a veth pair from the host into it,
 * addresses of its own (a random /30 in 10.0.0.0/8 no interface of the
 * host uses), a default route inside, and optionally every UDP packet of
 * the namespace dropped, both ways: a client behind a firewall that blocks
 * UDP; or a tc qdisc on the host end that shapes what goes towards the
 * namespace (a client behind a slow link). Names carry the pid and a
 * random suffix, so tests running at the same time do not collide.
 * Everything is removed on teardown (deleting the namespace deletes its
 * veth end, and with it the pair).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Test } from 'tap';
import { browserEnv } from './chromium';

export interface Netns {
  name: string;
  /** The veth end on the host (where `shape` applies). */
  hostIf: string;
  /** The host side's address: what a server in the host listens on for the namespace. */
  hostIp: string;
  /** The end inside the namespace. */
  nsIf: string;
  /** The namespace side's address. */
  nsIp: string;
  /** An executable that runs `program` inside the namespace with its arguments. */
  wrapper(program: string): string;
  /** Packets the host end's qdisc dropped (`tc -s qdisc show`): what a shaper threw away. */
  shaperDrops(): number;
}

export interface NetnsOptions {
  /** Drop every UDP packet of the namespace, both ways. */
  blockUdp?: boolean;
  /** A tc qdisc for the host end, e.g. ['tbf', 'rate', '400kbit', 'burst', '16kb', 'latency', '300ms']. */
  shape?: string[];
}

function sh(args: string[]): string {
  // Without the AddressSanitizer run's preload: ip and tc are not what it checks.
  return execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000, env: browserEnv() });
}

/** A /30 in 10.0.0.0/8 that no interface of the host has an address in. */
function freeSubnet(): [string, string] {
  const used = sh(['ip', '-o', '-4', 'addr', 'show']);
  for (let i = 0; i < 50; i++) {
    const b = randomBytes(3);
    const base = `10.${b[0]}.${b[1]}.${b[2]! & 0xfc}`;
    const prefix = base.split('.').slice(0, 3).join('.');
    if (used.includes(` ${prefix}.`)) continue;
    const last = b[2]! & 0xfc;
    return [`${prefix}.${last + 1}`, `${prefix}.${last + 2}`];
  }
  throw new Error('no free 10.x.y.z/30 for a test namespace');
}

export function makeNetns(t: Test, opts: NetnsOptions): Netns {
  const tag = `${(process.pid % 10000).toString(36)}${randomBytes(2).toString('hex')}`;
  const name = `wa-ns-${tag}`;
  const hostIf = `wah${tag}`; // <= 15 characters
  const nsIf = `wan${tag}`;
  const [hostIp, nsIp] = freeSubnet();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wa-netns-'));
  const cleanup = () => {
    try {
      sh(['ip', 'netns', 'del', name]);
    } catch {
      /* not made, or gone */
    }
    try {
      sh(['ip', 'link', 'del', hostIf]);
    } catch {
      /* gone with the namespace */
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  t.teardown(cleanup);
  // Also when the test process dies before its teardown runs.
  process.once('exit', cleanup);
  try {
    sh(['ip', 'netns', 'add', name]);
    sh(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    sh(['ip', 'link', 'set', nsIf, 'netns', name]);
    sh(['ip', 'addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    sh(['ip', 'link', 'set', hostIf, 'up']);
    const inNs = (args: string[]) => sh(['ip', 'netns', 'exec', name, ...args]);
    inNs(['ip', 'link', 'set', 'lo', 'up']);
    inNs(['ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
    inNs(['ip', 'link', 'set', nsIf, 'up']);
    inNs(['ip', 'route', 'add', 'default', 'via', hostIp]);
    if (opts.blockUdp) {
      // A firewall that blocks UDP: every UDP packet of the namespace, in
      // or out, is routed to a blackhole (policy routing on the IP
      // protocol; the local table moves after it so arriving UDP is
      // dropped too). tc's drop action is not available on this kernel.
      inNs(['ip', 'rule', 'add', 'pref', '5', 'ipproto', 'udp', 'blackhole']);
      inNs(['ip', 'rule', 'add', 'pref', '10', 'lookup', 'local']);
      inNs(['ip', 'rule', 'del', 'pref', '0']);
    }
    if (opts.shape) sh(['tc', 'qdisc', 'add', 'dev', hostIf, 'root', ...opts.shape]);
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    name,
    hostIf,
    hostIp,
    nsIf,
    nsIp,
    shaperDrops: () => Number(/dropped (\d+)/.exec(sh(['tc', '-s', 'qdisc', 'show', 'dev', hostIf]))?.[1] ?? NaN),
    wrapper(program: string): string {
      const file = path.join(dir, `in-${path.basename(program)}`);
      fs.writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${name} ${program} "$@"\n`, { mode: 0o755 });
      return file;
    },
  };
}
