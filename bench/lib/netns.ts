/**
 * The shaped-link benches' namespace: test/helpers/netns.ts (one helper for
 * tests and benches) with a tc qdisc on the host end, and Chromium wrapped
 * to run inside it. Kept as its own entry point for the benches' imports.
 */
import { execFileSync } from 'node:child_process';
import type { Test } from 'tap';
import { browserEnv } from '../../test/helpers/chromium';
import { makeNetns as makeTestNetns, type Netns as TestNetns } from '../../test/helpers/netns';

export interface Netns extends TestNetns {
  /** An executable that runs /usr/bin/chromium inside the namespace (for playwright's executablePath). */
  chromium: string;
  /** Replaces the host end's qdisc: a step of the link's rate mid-run. */
  reshape(shape: string[]): void;
}

/** Makes the namespace and the veth pair; `shape` is the tc qdisc for the host end (e.g. ['tbf', 'rate', '400kbit', ...]). */
export function makeNetns(t: Test, shape: string[]): Netns {
  const ns = makeTestNetns(t, { shape });
  return {
    ...ns,
    chromium: ns.wrapper('/usr/bin/chromium'),
    reshape: (next) => {
      execFileSync('tc', ['qdisc', 'replace', 'dev', ns.hostIf, 'root', ...next], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000, env: browserEnv() });
    },
  };
}
