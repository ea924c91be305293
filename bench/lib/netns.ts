/**
 * The shaped-link benches' namespace: test/helpers/netns.ts (one helper for
 * tests and benches) with a tc qdisc on the host end, and Chromium wrapped
 * to run inside it. Kept as its own entry point for the benches' imports.
 */
import type { Test } from 'tap';
import { makeNetns as makeTestNetns, type Netns as TestNetns } from '../../test/helpers/netns';

export interface Netns extends TestNetns {
  /** An executable that runs /usr/bin/chromium inside the namespace (for playwright's executablePath). */
  chromium: string;
}

/** Makes the namespace and the veth pair; `shape` is the tc qdisc for the host end (e.g. ['tbf', 'rate', '400kbit', ...]). */
export function makeNetns(t: Test, shape: string[]): Netns {
  const ns = makeTestNetns(t, { shape });
  return { ...ns, chromium: ns.wrapper('/usr/bin/chromium') };
}
