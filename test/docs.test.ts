/**
 * docs/api.md must describe every method the code serves, and nothing the
 * code does not serve.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AGENT_METHODS } from '../src/rpc/subjects';
import { nodeMethods } from '../src/node/methods';
import { REMOTE_NODE_METHODS } from '../src/rpc/AgentBridge';

const api = readFileSync(path.resolve(__dirname, '../docs/api.md'), 'utf8');
const headings = new Set([...api.matchAll(/^### (\w+)$/gm)].map((m) => m[1]));

t.test('every agent method has a section', async (t) => {
  for (const m of AGENT_METHODS) t.ok(headings.has(m), `### ${m}`);
});

t.test('every node method has a section (test hooks are listed together)', async (t) => {
  for (const [name, m] of Object.entries(nodeMethods)) {
    if (m.internal) continue; // main-thread only, not part of the API
    if (m.testOnly) t.match(api, new RegExp(`\`${name}\``), `${name} named under Test hooks`);
    else t.ok(headings.has(name), `### ${name}`);
  }
  for (const name of REMOTE_NODE_METHODS) t.ok(headings.has(name), `### ${name}`);
});

t.test('every event has a section', async (t) => {
  for (const e of ['abnormal', 'quit', 'draining']) t.ok(headings.has(e), `### ${e}`);
});

t.test('no section documents a method that does not exist', async (t) => {
  const known = new Set<string>([...AGENT_METHODS, ...Object.keys(nodeMethods), ...REMOTE_NODE_METHODS, 'abnormal', 'quit', 'draining']);
  for (const h of headings) t.ok(known.has(h!), `### ${h} exists in the code`);
});
