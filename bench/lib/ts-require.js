/**
 * Lets a plain-JS bench require the tests' TypeScript helpers (test/helpers/*.ts
 * and what they import) instead of keeping second copies of them: `.ts`
 * files are transpiled on load with the project's own `typescript` (no type
 * check; `npm test` type-checks them). Used by benches that drive real
 * browsers in test-made network namespaces, the same way the tests do.
 *
 *   require('./lib/ts-require');
 *   const { makeNetns } = require('../test/helpers/netns.ts');
 */
'use strict';
const fs = require('node:fs');
const ts = require('typescript');

if (!require.extensions['.ts']) {
  require.extensions['.ts'] = (module, filename) => {
    const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    module._compile(out.outputText, filename);
  };
}

/**
 * A stand-in for tap's Test where the helpers only need teardown (and
 * `same` for negotiate's check): teardowns run in reverse by close().
 */
function helperContext() {
  const teardowns = [];
  return {
    teardown: (fn) => teardowns.push(fn),
    same: (got, want) => {
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    },
    comment: (...args) => console.error(...args),
    close: async () => {
      while (teardowns.length) {
        try {
          await teardowns.pop()();
        } catch {
          /* best effort, like tap's */
        }
      }
    },
  };
}

module.exports = { helperContext };
