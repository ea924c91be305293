/**
 * The entry point of every node thread. Piscina calls the default export once
 * per task; the first task is always 'init', which builds the NodeRuntime.
 * Every result is wrapped in a TaskResult so error codes cross the thread
 * boundary intact (Piscina would turn a thrown error into a plain Error).
 */
import { toErrorShape, NotFoundError, UnavailableError } from '../errors';
import { NodeRuntime } from './NodeRuntime';
import { callMethod, hasMethod } from './methods';
import type { NodeTask, TaskResult } from './protocol';

let runtime: NodeRuntime | undefined;

async function handle(task: NodeTask): Promise<unknown> {
  if (task.kind === 'init') {
    if (runtime) return runtime.readyInfo();
    runtime = await NodeRuntime.create(task.settings);
    return runtime.readyInfo();
  }
  const rt = runtime;
  if (!rt) throw new UnavailableError('node not initialised');
  switch (task.kind) {
    case 'assign':
      rt.assign(task.room, task.task);
      return null;
    case 'release':
      rt.release(task.room, task.task);
      return null;
    case 'call': {
      if (!hasMethod(task.method, rt.settings.testHooks, task.internal === true)) {
        throw new NotFoundError(`no such node method: ${task.method}`);
      }
      try {
        const value = await callMethod(rt, task.method, task.args, task.internal === true);
        rt.countCall(false);
        return value;
      } catch (err) {
        rt.countCall(true);
        throw err;
      }
    }
  }
}

export default async function run(task: NodeTask): Promise<TaskResult> {
  try {
    return { ok: true, value: await handle(task) };
  } catch (err) {
    return { ok: false, error: toErrorShape(err) };
  }
}
