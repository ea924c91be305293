/**
 * Renders docs/config.md from the schema, so the docs cannot drift:
 *   npx tsc -p tsconfig.json && node dist/config/docs.js > docs/config.md
 * (test/config.test.ts checks that docs/config.md equals renderConfigDoc()).
 */
import { schemaLeaves, SECTION_DOCS, type Leaf } from './schema';
import type { AgentConfig } from './load';

function code(s: string): string {
  return `\`${s}\``;
}

/** Escape a table cell: pipes and newlines. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function typeDoc(leaf: Leaf<unknown>): string {
  switch (leaf.format) {
    case 'bool':
      return 'boolean';
    case 'bool-or-auto':
      return '`auto` or boolean';
    case 'bounded-int': {
      const { min, max, unlimited } = leaf;
      if (unlimited) return `integer: -1 (unlimited) or >= ${min ?? 0}`;
      if (min !== undefined && max !== undefined) return `integer, ${min}..${max}`;
      if (min !== undefined) return `integer, >= ${min}`;
      return 'integer';
    }
    case 'port-number':
      return 'port, 1..65535';
    case 'one-of':
      return `one of ${(leaf.values ?? []).map(code).join(', ')}`;
    case 'subject-token':
      return `${leaf.allowEmpty ? 'empty or ' : ''}${code('[A-Za-z0-9_-]')}, 1..${leaf.maxLength ?? 32} chars`;
    case 'subject-prefix':
      return `${code('[A-Za-z0-9_-]')} tokens joined by ${code('.')}`;
    case 'ipaddress':
      return leaf.allowEmpty ? 'empty or IP address' : 'IP address';
    case 'nats-servers':
      return 'comma-separated URLs';
    case 'text':
      return leaf.allowEmpty ? 'string' : 'non-empty string';
  }
}

function defaultDoc(v: unknown): string {
  return code(JSON.stringify(v));
}

export function renderConfigDoc(): string {
  const leaves = schemaLeaves();
  const out: string[] = [];
  const p = (...lines: string[]): void => {
    out.push(...lines);
  };

  p(
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run build:ts && npm run docs:config`',
    '     (node dist/config/docs.js > docs/config.md). Do not edit by hand: a test checks',
    '     that this file equals the generated text. -->',
    '',
    'webrtc-agent reads its configuration once, at start (`loadConfig()` in',
    '`src/config/load.ts`). Every key has a default, so the agent runs with no',
    'configuration at all.',
    '',
    '## Precedence',
    '',
    'From lowest to highest; a later source overrides an earlier one key by key:',
    '',
    '1. Schema defaults (`src/config/schema.ts`).',
    '2. `config/default.toml`, shipped with the package (found relative to the compiled',
    '   module: `dist/config/` -> `../../config/default.toml`). It holds the same values',
    '   as the schema defaults; do not edit it to configure a deployment.',
    '3. The file given by `--config <path>` or `--config=<path>` (optional).',
    '4. Environment variables.',
    '5. Command-line arguments.',
    '',
    '## Config file',
    '',
    'Pass your own file with `--config <path>` (or `--config=<path>`); a relative path is',
    'relative to the working directory. The file is TOML, or JSON if its name ends in',
    '`.json`. It may set any subset of the keys, nested by section:',
    '',
    '```toml',
    '[agent]',
    'maxNodes = 4',
    'prerunNodes = 1',
    '',
    '[nats]',
    'servers = "nats://10.0.0.1:4222,nats://10.0.0.2:4222"',
    '',
    '[log]',
    'level = "debug"',
    '```',
    '',
    'The same in JSON: `{"agent": {"maxNodes": 4, "prerunNodes": 1}, "nats": {"servers": "..."}, "log": {"level": "debug"}}`.',
    '',
    'Unknown keys are errors, not warnings. A missing file or a syntax error is an error',
    'naming the file.',
    '',
    '## Environment and command line',
    '',
    'Each key has one environment variable and one command-line option (the kebab case',
    'of its path: `agent.maxNodes` -> `--agent-max-nodes`), both listed below.',
    '',
    '- `--<option> <value>` or `--<option>=<value>`; the last occurrence wins.',
    '- Booleans accept `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` (any case), from',
    '  files, environment and command line alike; anything else is an error. On the',
    '  command line a bare `--<option>` means true and `--no-<option>` means false.',
    '- Unknown options (`--...`) are errors; positional arguments are ignored; `--` ends',
    '  option parsing.',
    '- An environment variable that is set, even to the empty string, is used.',
    '',
    '## Errors',
    '',
    'Any invalid value makes `loadConfig()` throw a `ConfigError` whose message is one',
    'line naming each offending key, what is wrong, the value and where it came from,',
    'for example:',
    '',
    '```',
    'config: agent.maxNodes: must be -1 or an integer >= 1, got "abc" (from env AGENT_MAX_NODES)',
    '```',
    '',
    'Besides the per-key rules in the tables, these cross-checks apply:',
    '',
    '- `agent.prerunNodes` <= `agent.maxNodes`, unless `agent.maxNodes` is -1.',
    '- `agent.checkWindowMs` > `agent.heartbeatMs`.',
    '- `webrtc.portMin` <= `webrtc.portMax`.',
    '- `webrtc.tcpPortMin` <= `webrtc.tcpPortMax`.',
    '',
    '`agent.id`: when empty, `loadConfig()` sets it to `<agent.idPrefix>-<12 random hex digits>`.',
    '',
    '## Keys',
  );

  const sections = [...new Set(leaves.map((e) => e.section))] as (keyof AgentConfig)[];
  for (const section of sections) {
    p(
      '',
      `### ${section}`,
      '',
      SECTION_DOCS[section],
      '',
      '| Key | Type | Default | Env | CLI | Description |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const { path, leaf } of leaves.filter((e) => e.section === section)) {
      const cols = [
        code(path),
        typeDoc(leaf),
        defaultDoc(leaf.default),
        code(leaf.env),
        code(`--${leaf.arg}`),
        leaf.doc,
      ];
      p(`| ${cols.map(cell).join(' | ')} |`);
    }
  }
  p('');
  return out.join('\n');
}

if (require.main === module) {
  process.stdout.write(renderConfigDoc());
}
