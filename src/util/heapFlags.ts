/**
 * V8 settings that keep an agent's memory small, applied by importing this
 * module first (src/main.ts, src/cli/index.ts), before anything else loads.
 * Measured with bench/memory.js (docs/bench.md, "Memory"):
 *
 * - `--semi-space-growth-factor=1`: V8 doubles an isolate's young
 *   generation (two semi-spaces) whenever scavenges find it busy, up to
 *   8 MiB each, and keeps it grown. Loading the agent's modules grew the
 *   main thread's to 16 MiB, most of it resident and idle afterwards. With
 *   growth off the main thread keeps 1 MiB semi-spaces: scavenges come more
 *   often, each as cheap (their cost follows what survives, not the
 *   space's size), and it does not handle packets (media lives in the
 *   addon). V8 reads the factor each time it would grow, so setting it at
 *   run time takes effect. But V8 sets it back to 2 whenever it sets up a
 *   new isolate's heap (measured: a main thread that had started 4 worker
 *   threads grew its new space to 32 MiB, the flag given on the command
 *   line or not), so it holds only until the first node thread starts:
 *   src/main.ts applies the flags again once its node threads are ready
 *   (reapplyHeapFlags). Node threads, whose isolates reset it, are bounded
 *   by their resourceLimits instead (src/pool/WorkerNode.ts).
 * - `--no-short-builtin-calls`: with it on (the default on machines with
 *   4 GiB or more), every new isolate maps its own copy of V8's built-in
 *   code next to its code space, about 1 MiB resident per node thread.
 *   Read when an isolate is made: the main thread, made before this runs,
 *   keeps its fast builtin calls; node threads call builtins through one
 *   more indirection, which their control-plane JavaScript does not feel.
 *
 * Both are process-wide V8 flags; `v8.setFlagsFromString` is the only way
 * to set them without a command-line flag, which `node dist/main.js` and
 * the systemd unit would then have to carry.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_FLAGS: readonly string[] = ['--semi-space-growth-factor=1', '--no-short-builtin-calls'];

let applied = false;

export function applyHeapFlags(): void {
  if (applied) return;
  applied = true;
  for (const flag of HEAP_FLAGS) setFlagsFromString(flag);
}

/**
 * Sets the flags again after a new isolate (a node thread) has reset the
 * growth factor; only in a process that applied them (the agent's entry
 * points), never in one that merely loads this module's users.
 */
export function reapplyHeapFlags(): void {
  if (applied) for (const flag of HEAP_FLAGS) setFlagsFromString(flag);
}

applyHeapFlags();
