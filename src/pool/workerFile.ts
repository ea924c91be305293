import path from 'node:path';

/**
 * The compiled node-thread entry. Worker threads load JavaScript, so when this
 * module itself runs from TypeScript sources (tests under ts-node) the thread
 * still starts from dist/, which `npm test` builds first.
 */
export function nodeWorkerFile(): string {
  if (__filename.endsWith('.ts')) return path.resolve(__dirname, '../../dist/node/worker.js');
  return path.resolve(__dirname, '../node/worker.js');
}
