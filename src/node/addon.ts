// Typed face of the native addon (build/Release/webrtc_agent.node).
//
// Each node thread (worker) that calls loadAddon() gets its own addon
// instance: the addon is context-aware (Napi::Addon), so timers and all other
// native state are per thread. Within one thread, repeated loadAddon() calls
// return the same instance (require's cache).
import * as path from 'node:path';

/** Environment variable that overrides where the addon is loaded from. */
export const ADDON_PATH_ENV = 'WEBRTC_AGENT_ADDON_PATH';

export interface ThreadInfo {
  /** uv_loop_alive() for this thread's loop. Addon timers are unref'ed and never make it true. */
  loopAlive: boolean;
  /** Live (started, not stopped) timers on this thread's addon instance. */
  timers: number;
}

/** Called on every tick with the number of ticks so far (1 on the first tick). */
export type TimerCallback = (ticks: number) => void;

export interface NativeAddon {
  /** Addon version, e.g. "0.1.0". */
  version(): string;
  threadInfo(): ThreadInfo;
  /**
   * Has V8 collect this thread's heap now as it would when idle for a while
   * (its memory reducer): full and compacting, the young generation shrunk,
   * freed pages returned to the system. Synchronous; a few ms on the heap of
   * a thread that has just started. Called once when a thread is ready.
   */
  reduceMemory(): void;
  /**
   * Starts a repeating timer on this thread's own event loop and returns its
   * id (ids are per thread, starting at 1). The timer is unref'ed: it does not
   * keep the thread alive by itself. A callback that throws raises an
   * uncaught exception in this thread, like a throwing setInterval callback.
   * Throws TypeError/RangeError on bad arguments (1 <= intervalMs <= 2^31-1).
   */
  startTimer(intervalMs: number, callback?: TimerCallback): number;
  /** Stops and releases a timer; false if the id is unknown (or already stopped). */
  stopTimer(id: number): boolean;
  /** Ticks so far of a live timer; undefined if the id is unknown or stopped. */
  tickCount(id: number): number | undefined;
}

const METHODS: ReadonlyArray<keyof NativeAddon> = [
  'version',
  'threadInfo',
  'reduceMemory',
  'startTimer',
  'stopTimer',
  'tickCount',
];

/**
 * Default location of the built addon. Resolved from this file's compiled
 * location (dist/node/addon.js -> <root>/build/Release); the same relative
 * path also holds for src/node/addon.ts when run through ts-node.
 */
export function defaultAddonPath(): string {
  return path.resolve(__dirname, '..', '..', 'build', 'Release', 'webrtc_agent.node');
}

/** Path loadAddon() will use: $WEBRTC_AGENT_ADDON_PATH (relative to cwd) or the default. */
export function resolveAddonPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[ADDON_PATH_ENV];
  if (override !== undefined && override !== '') return path.resolve(override);
  return defaultAddonPath();
}

/**
 * Loads the native addon for the calling thread.
 * Throws an Error naming the path (and where it came from) if the file cannot
 * be loaded or does not look like this addon; the original error is `cause`.
 */
export function loadAddon(): NativeAddon {
  const addonPath = resolveAddonPath();
  const source = process.env[ADDON_PATH_ENV] ? `$${ADDON_PATH_ENV}` : 'default build output';
  let loaded: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(addonPath);
  } catch (err) {
    // require() throws Errors; keep the first line (drops "Require stack").
    const reason = (err as Error).message.split('\n')[0];
    throw new Error(
      `webrtc-agent: cannot load native addon from ${addonPath} (${source}): ${reason}. ` +
        'Build it with "npx node-gyp rebuild" or fix ' + ADDON_PATH_ENV + '.',
      { cause: err },
    );
  }
  const missing = METHODS.filter(
    (m) => typeof (loaded as Record<string, unknown> | null)?.[m] !== 'function',
  );
  if (missing.length > 0) {
    throw new Error(
      `webrtc-agent: ${addonPath} (${source}) is not the webrtc_agent addon: missing ${missing.join(', ')}`,
    );
  }
  return loaded as NativeAddon;
}
