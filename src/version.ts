import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The package version (dist/ and src/ both sit one level below package.json). */
export const VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();
