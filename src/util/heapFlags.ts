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
 *   run time takes effect. Worker isolates grow theirs regardless (measured
 *   here): node threads are bounded by their resourceLimits instead
 *   (src/pool/WorkerNode.ts).
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

applyHeapFlags();
