import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import { parse as parseToml } from 'smol-toml';
import { ConfigError, DEFAULT_CONFIG_FILE, loadConfig, type AgentConfig } from '../src/config/load';
import { schemaDefaults, schemaLeaves } from '../src/config/schema';
import { renderConfigDoc } from '../src/config/docs';

type Opts = { argv?: string[]; env?: NodeJS.ProcessEnv };

/** loadConfig with nothing from the real process unless given. */
function load(o: Opts = {}): AgentConfig {
  return loadConfig({ argv: o.argv ?? [], env: o.env ?? {} });
}

/** Expect a ConfigError with a one-line message; returns it. */
function fails(tt: Test, o: Opts, key: string, re?: RegExp): ConfigError | undefined {
  try {
    load(o);
  } catch (e) {
    tt.type(e, ConfigError, 'is a ConfigError');
    const err = e as ConfigError;
    tt.equal(err.key, key, `key is ${key}`);
    tt.match(err.message, /^config: /, 'starts with "config: "');
    tt.notMatch(err.message, /[\r\n]/, 'message is a single line');
    tt.ok(err.message.includes(key), 'message names the key');
    if (re) tt.match(err.message, re);
    return err;
  }
  tt.fail(`expected a ConfigError for ${key}`);
  return undefined;
}
function withoutId(c: AgentConfig): AgentConfig {
  return { ...c, agent: { ...c.agent, id: '' } };
}

t.test('defaults', async (tt) => {
  const c = load();
  tt.match(c.agent.id, /^webrtc-[0-9a-f]{12}$/, 'agent.id generated from idPrefix');
  tt.same(withoutId(c), schemaDefaults());
  tt.equal(c.agent.maxNodes, 13);
  tt.equal(c.agent.reuseNode, true);
  tt.equal(c.nats.embedded, 'auto');
  tt.equal(c.webrtc.portMax, 49999);
  tt.not(load().agent.id, c.agent.id, 'a new random id each time');
  tt.equal(load({ env: { AGENT_ID_PREFIX: 'sfu_1' } }).agent.id.startsWith('sfu_1-'), true);
  tt.equal(load({ env: { AGENT_ID: 'fixed-id' } }).agent.id, 'fixed-id');
});

t.test('uses the env and argv given, not the process ones', async (tt) => {
  const saved = process.env.AGENT_MAX_NODES;
  process.env.AGENT_MAX_NODES = '7';
  tt.teardown(() => {
    if (saved === undefined) delete process.env.AGENT_MAX_NODES;
    else process.env.AGENT_MAX_NODES = saved;
  });
  tt.equal(load({ env: {} }).agent.maxNodes, 13);
  tt.equal(load({ env: { AGENT_MAX_NODES: '3' } }).agent.maxNodes, 3);
  tt.equal(loadConfig({ argv: [], env: {} }).agent.maxNodes, 13);
});

t.test('precedence: file < env < CLI', async (tt) => {
  const dir = tt.testdir({
    'a.toml': '[agent]\nmaxNodes = 4\nprerunNodes = 1\n\n[log]\nlevel = "debug"\npretty = true\n',
  });
  const file = join(dir, 'a.toml');
  const c1 = load({ argv: ['--config', file] });
  tt.equal(c1.agent.maxNodes, 4, 'file over defaults');
  tt.equal(c1.agent.prerunNodes, 1);
  tt.equal(c1.log.level, 'debug');
  tt.equal(c1.log.pretty, true);
  tt.equal(c1.agent.heartbeatMs, 1000, 'keys not in the file keep defaults');

  const env = { AGENT_MAX_NODES: '5', LOG_LEVEL: 'warn' };
  const c2 = load({ argv: ['--config', file], env });
  tt.equal(c2.agent.maxNodes, 5, 'env over file');
  tt.equal(c2.log.level, 'warn');
  tt.equal(c2.agent.prerunNodes, 1, 'file value kept when env does not set it');

  const c3 = load({ argv: ['--config', file, '--agent-max-nodes', '6'], env });
  tt.equal(c3.agent.maxNodes, 6, 'CLI over env');
  tt.equal(c3.log.level, 'warn', 'env kept when CLI does not set it');

  const c4 = load({ argv: ['--agent-max-nodes=8', `--config=${file}`], env });
  tt.equal(c4.agent.maxNodes, 8, '--opt=value and --config=path forms');
  tt.equal(c4.log.pretty, true);

  const c5 = load({ argv: ['--log-level', 'error', '--log-level', 'trace'] });
  tt.equal(c5.log.level, 'trace', 'last occurrence wins');
});

t.test('--config JSON', async (tt) => {
  const dir = tt.testdir({
    'c.json': JSON.stringify({ nats: { servers: 'nats://10.0.0.1:4222, nats://10.0.0.2:4222', embedded: 'never' } }),
    'bad.json': '{"agent": {"maxNodes": 3,}}',
    'unknown.json': JSON.stringify({ nats: { server: 'x' } }),
    'array.json': '[1, 2]',
  });
  const c = load({ argv: ['--config', join(dir, 'c.json')] });
  tt.equal(c.nats.servers, 'nats://10.0.0.1:4222, nats://10.0.0.2:4222');
  tt.equal(c.nats.embedded, 'never');
  fails(tt, { argv: ['--config', join(dir, 'bad.json')] }, join(dir, 'bad.json'), /invalid JSON/);
  fails(tt, { argv: ['--config', join(dir, 'unknown.json')] }, 'nats.server', /unknown key/);
  fails(tt, { argv: ['--config', join(dir, 'array.json')] }, join(dir, 'array.json'), /top level/);
});

t.test('config file errors name the file', async (tt) => {
  const dir = tt.testdir({
    'syntax.toml': '[agent]\nmaxNodes = \n',
    'unknown.toml': '[agent]\nmaxNode = 5\n',
    'section.toml': '[foo]\nbar = 1\n',
    'scalar.toml': 'agent = 5\n',
    'table.toml': '[agent.maxNodes]\na = 1\n',
    'date.toml': '[agent]\nid = 2024-01-01\n',
    'nl.toml': '[agent]\n"max\\nNodes" = 5\n',
    'empty.toml': '',
    'str.toml': '[agent]\nmaxNodes = "7"\nreuseNode = "off"\n',
  });
  const missing = join(dir, 'nope.toml');
  fails(tt, { argv: ['--config', missing] }, missing, /file not found/);
  const syntax = join(dir, 'syntax.toml');
  fails(tt, { argv: ['--config', syntax] }, syntax, /invalid TOML at line 2, column \d+/);
  const e = fails(tt, { argv: ['--config', join(dir, 'unknown.toml')] }, 'agent.maxNode', /unknown key/);
  tt.ok(e?.message.includes(join(dir, 'unknown.toml')), 'unknown key message names the file');
  fails(tt, { argv: ['--config', join(dir, 'section.toml')] }, 'foo', /unknown key/);
  fails(tt, { argv: ['--config', join(dir, 'scalar.toml')] }, 'agent', /must be a table/);
  fails(tt, { argv: ['--config', join(dir, 'table.toml')] }, 'agent.maxNodes', /single value/);
  fails(tt, { argv: ['--config', join(dir, 'date.toml')] }, 'agent.id', /single value/);
  fails(tt, { argv: ['--config', join(dir, 'nl.toml')] }, JSON.stringify('agent.max\nNodes'), /unknown key/);
  tt.same(withoutId(load({ argv: ['--config', join(dir, 'empty.toml')] })), schemaDefaults(), 'empty file is fine');
  const s = load({ argv: ['--config', join(dir, 'str.toml')] });
  tt.equal(s.agent.maxNodes, 7, 'strings in files are coerced');
  tt.equal(s.agent.reuseNode, false);
  fails(tt, { argv: ['--config'] }, '--config', /missing value/);
});

t.test('bad values', async (tt) => {
  const e = fails(tt, { env: { AGENT_MAX_NODES: 'abc' } }, 'agent.maxNodes');
  tt.equal(e?.message, 'config: agent.maxNodes: must be -1 or an integer >= 1, got "abc" (from env AGENT_MAX_NODES)');
  fails(tt, { env: { AGENT_MAX_NODES: '12abc' } }, 'agent.maxNodes', /got "12abc"/);
  fails(tt, { env: { AGENT_MAX_NODES: '1.5' } }, 'agent.maxNodes', /got "1.5"/);
  fails(tt, { env: { AGENT_MAX_NODES: '' } }, 'agent.maxNodes', /got ""/);
  fails(tt, { argv: ['--agent-max-nodes', '0'] }, 'agent.maxNodes', /got 0 \(from --agent-max-nodes\)/);
  fails(tt, { env: { AGENT_MAX_NODES: '-2' } }, 'agent.maxNodes', /got -2/);
  tt.equal(load({ env: { AGENT_MAX_NODES: '-1', AGENT_PRERUN_NODES: '50' } }).agent.maxNodes, -1, '-1 = unlimited');
  tt.equal(load({ argv: ['--agent-max-nodes', '-1'] }).agent.maxNodes, -1, 'negative value as next CLI token');

  fails(tt, { argv: ['--agent-max-nodes', '3', '--agent-prerun-nodes', '4'] }, 'agent.prerunNodes', /must be <= agent\.maxNodes \(3\).*got 4/);
  tt.equal(load({ argv: ['--agent-max-nodes', '3', '--agent-prerun-nodes', '3'] }).agent.prerunNodes, 3);
  fails(tt, { env: { AGENT_PRERUN_NODES: '-1' } }, 'agent.prerunNodes', /integer >= 0/);

  fails(tt, { env: { AGENT_ID_PREFIX: 'web.rtc' } }, 'agent.idPrefix', /got "web\.rtc"/);
  fails(tt, { env: { AGENT_ID_PREFIX: 'a b' } }, 'agent.idPrefix');
  fails(tt, { env: { AGENT_ID_PREFIX: '' } }, 'agent.idPrefix');
  fails(tt, { env: { AGENT_ID_PREFIX: 'x'.repeat(33) } }, 'agent.idPrefix');
  fails(tt, { env: { AGENT_ID: 'a*' } }, 'agent.id');
  fails(tt, { env: { AGENT_ID: 'x'.repeat(65) } }, 'agent.id');
  fails(tt, { env: { CLUSTER_NAME: 'owt>' } }, 'cluster.name');
  tt.equal(load({ env: { NATS_SUBJECT_PREFIX: 'corp.webrtc-agent' } }).nats.subjectPrefix, 'corp.webrtc-agent');
  fails(tt, { env: { NATS_SUBJECT_PREFIX: 'a..b' } }, 'nats.subjectPrefix');
  fails(tt, { env: { NATS_SUBJECT_PREFIX: 'a.*' } }, 'nats.subjectPrefix');
  fails(tt, { env: { NATS_SUBJECT_PREFIX: '.a' } }, 'nats.subjectPrefix');
  fails(tt, { env: { NATS_URL: 'nats://a:4222,,nats://b:4222' } }, 'nats.servers');

  fails(tt, { env: { LOG_LEVEL: 'verbose' } }, 'log.level', /must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/);
  fails(tt, { env: { NATS_EMBEDDED: 'sometimes' } }, 'nats.embedded');

  fails(tt, { env: { AGENT_LINK_RING_BYTES: '100000' } }, 'agent.linkRingBytes', /power of two/);
  fails(tt, { env: { AGENT_MAX_TASKS_PER_NODE: '-1' } }, 'agent.maxTasksPerNode');
  tt.equal(load({ env: { AGENT_MAX_TASKS_PER_NODE: '0' } }).agent.maxTasksPerNode, 0);

  fails(tt, { env: { WEBRTC_PORT_MIN: '50000' } }, 'webrtc.portMin', /must be <= webrtc\.portMax \(49999\), got 50000 \(from env WEBRTC_PORT_MIN\)/);
  fails(tt, { env: { WEBRTC_PORT_MAX: '70000' } }, 'webrtc.portMax', /1\.\.65535/);
  fails(tt, { env: { NATS_EMBEDDED_PORT: 'http' } }, 'nats.embeddedPort');
  tt.equal(load({ env: { WEBRTC_PORT_MIN: '41000', WEBRTC_PORT_MAX: '41000' } }).webrtc.portMin, 41000);
  fails(tt, { env: { WEBRTC_BWE_INITIAL_BITRATE: '30000000' } }, 'webrtc.bwe.initialBitrate', /must be <= webrtc\.bwe\.maxBitrate \(20000000\), got 30000000/);
  fails(tt, { env: { WEBRTC_BWE_MIN_BITRATE: '2000000' } }, 'webrtc.bwe.minBitrate', /must be <= webrtc\.bwe\.initialBitrate \(1000000\)/);
  tt.same(load({ env: { WEBRTC_BWE_ENABLED: 'false' } }).webrtc.bwe.enabled, false);
  fails(tt, { env: { WEBRTC_TCP_PORT_MIN: '42000', WEBRTC_TCP_PORT_MAX: '41000' } }, 'webrtc.tcpPortMin', /must be <= webrtc\.tcpPortMax \(41000\), got 42000/);
  fails(tt, { env: { WEBRTC_TCP_MAX_CONNECTIONS: '0' } }, 'webrtc.tcpMaxConnections');
  tt.equal(load({ env: { WEBRTC_TCP: 'off' } }).webrtc.tcp, false);

  fails(tt, { env: { AGENT_HEARTBEAT_MS: '3000' } }, 'agent.checkWindowMs', /must be > agent\.heartbeatMs \(3000\), got 3000/);
  fails(tt, { argv: ['--agent-check-window-ms', '1000'] }, 'agent.checkWindowMs', /from --agent-check-window-ms/);
  fails(tt, { env: { AGENT_HEARTBEAT_MS: '10' } }, 'agent.heartbeatMs', /50\.\.60000/);
  fails(tt, { env: { AGENT_CHECK_WINDOW_MS: '600001' } }, 'agent.checkWindowMs');
  fails(tt, { env: { AGENT_READY_TIMEOUT_MS: '99' } }, 'agent.readyTimeoutMs');

  fails(tt, { env: { WEBRTC_LISTEN_IP: '1.2.3' } }, 'webrtc.listenIp');
  fails(tt, { env: { WEBRTC_ANNOUNCED_IP: 'example.com' } }, 'webrtc.announcedIp');
  tt.equal(load({ env: { WEBRTC_ANNOUNCED_IP: '::1' } }).webrtc.announcedIp, '::1');
  fails(tt, { env: { NATS_EMBEDDED_DATA_DIR: '' } }, 'nats.embeddedDataDir');
});

t.test('booleans', async (tt) => {
  const reuse = (v: string): boolean => load({ env: { AGENT_REUSE_NODE: v } }).agent.reuseNode;
  for (const v of ['0', 'false', 'no', 'off', 'FALSE', 'Off', ' no ']) tt.equal(reuse(v), false, `"${v}" is false`);
  for (const v of ['1', 'true', 'yes', 'on', 'TRUE', 'Yes']) tt.equal(reuse(v), true, `"${v}" is true`);
  fails(tt, { env: { AGENT_REUSE_NODE: 'maybe' } }, 'agent.reuseNode', /must be a boolean.*got "maybe" \(from env AGENT_REUSE_NODE\)/);
  fails(tt, { env: { AGENT_TEST_HOOKS: '' } }, 'agent.testHooks');
  fails(tt, { env: { LOG_PRETTY: '2' } }, 'log.pretty');

  tt.equal(load({ argv: ['--agent-test-hooks'] }).agent.testHooks, true, 'bare flag is true');
  tt.equal(load({ argv: ['--agent-test-hooks', '--log-pretty'] }).log.pretty, true);
  tt.equal(load({ argv: ['--no-agent-reuse-node'] }).agent.reuseNode, false, '--no-<flag> is false');
  tt.equal(load({ argv: ['--agent-reuse-node', '0'] }).agent.reuseNode, false, 'explicit value');
  tt.equal(load({ argv: ['--agent-reuse-node=off'] }).agent.reuseNode, false);
  const c = load({ argv: ['--agent-test-hooks', 'start'] });
  tt.equal(c.agent.testHooks, true, 'a non-boolean next token is not consumed');
  fails(tt, { argv: ['--agent-reuse-node=maybe'] }, 'agent.reuseNode');
  fails(tt, { argv: ['--no-agent-reuse-node=1'] }, '--no-agent-reuse-node', /takes no value/);
});

t.test('command line', async (tt) => {
  fails(tt, { argv: ['--agent-maxnodes', '5'] }, '--agent-maxnodes', /unknown command-line option/);
  fails(tt, { argv: ['-x'] }, '-x', /unknown command-line option/);
  fails(tt, { argv: ['--no-agent-max-nodes'] }, '--no-agent-max-nodes', /unknown/);
  fails(tt, { argv: ['--agent-max-nodes'] }, '--agent-max-nodes', /missing value/);
  fails(tt, { argv: ['--agent-id', '--log-pretty'] }, '--agent-id', /missing value/);
  tt.equal(load({ argv: ['--agent-id', '0123'] }).agent.id, '0123', 'numeric-looking strings stay strings');
  tt.equal(load({ argv: ['--cluster-name', '1e3'] }).cluster.name, '1e3');
  tt.equal(load({ argv: ['serve', '--agent-max-nodes', '2'] }).agent.maxNodes, 2, 'positionals ignored');
  tt.equal(load({ argv: ['--', '--agent-max-nodes', '2'] }).agent.maxNodes, 13, '-- ends options');
  tt.equal(load({ argv: ['--nats-servers', 'nats://h:4222'] }).nats.servers, 'nats://h:4222');
});

t.test('several errors on one line', async (tt) => {
  const e = fails(tt, { env: { AGENT_MAX_NODES: 'abc', LOG_LEVEL: 'loud', AGENT_REUSE_NODE: 'maybe' } }, 'agent.maxNodes');
  tt.equal(e?.issues.length, 3);
  tt.equal(e?.message.split('; ').length, 3, 'joined with "; "');
  tt.match(e?.message, /agent\.reuseNode: .*; log\.level: /);
  const cli = fails(tt, { argv: ['--foo', '--bar'] }, '--foo');
  tt.equal(cli?.issues.length, 2);
});

t.test('schema: every leaf documented, env/arg unique, arg = kebab(path)', async (tt) => {
  const leaves = schemaLeaves();
  tt.equal(leaves.length, 79);
  const kebab = (p: string): string => p.replace(/\./g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  for (const { path, leaf } of leaves) {
    tt.ok('default' in leaf && leaf.default !== undefined && leaf.default !== null, `${path} has a default`);
    tt.ok(leaf.doc.length > 0, `${path} has a doc`);
    tt.equal(leaf.arg, kebab(path), `${path} CLI arg`);
  }
  tt.equal(new Set(leaves.map((e) => e.leaf.env)).size, leaves.length, 'env names unique');
  tt.equal(leaves.find((e) => e.path === 'nats.servers')?.leaf.env, 'NATS_URL');
});

t.test('config/default.toml equals the schema defaults', async (tt) => {
  const shipped = parseToml(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
  tt.same(shipped, schemaDefaults());
  tt.equal(DEFAULT_CONFIG_FILE, resolve(__dirname, '..', 'config', 'default.toml'));
});

t.test('docs/config.md is generated from the schema', async (tt) => {
  const doc = readFileSync(resolve(__dirname, '..', 'docs', 'config.md'), 'utf8');
  tt.equal(doc, renderConfigDoc(), 'regenerate: npx tsc -p tsconfig.json && node dist/config/docs.js > docs/config.md');
  for (const { path, leaf } of schemaLeaves()) {
    tt.ok(doc.includes(`\`${path}\``) && doc.includes(`\`${leaf.env}\``) && doc.includes(`\`--${leaf.arg}\``), path);
  }
});

t.test('the announced address: configured, else the listen address, else the first non-loopback IPv4', async (tt) => {
  const { announcedIp } = await import('../src/Agent');
  const ifaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
    eth0: [{ address: 'fe80::1', family: 'IPv6', internal: false }, { address: '192.0.2.10', family: 'IPv4', internal: false }],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;
  tt.equal(announcedIp(load({ env: { WEBRTC_ANNOUNCED_IP: '198.51.100.7' } }), ifaces), '198.51.100.7');
  tt.equal(announcedIp(load({ env: { WEBRTC_LISTEN_IP: '127.0.0.1' } }), ifaces), '127.0.0.1');
  tt.equal(announcedIp(load({}), ifaces), '192.0.2.10', 'listening on 0.0.0.0: not loopback, which browsers ignore');
  tt.equal(announcedIp(load({}), { lo: ifaces.lo } as typeof ifaces), '127.0.0.1', 'loopback only: loopback');
});
