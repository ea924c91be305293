/**
 * NATS authentication and TLS against real nats-servers that require them:
 * token, user/password, nkey, TLS with a CA and client certificates made
 * here with openssl; the embedded server with a token; the example
 * permissions of docs/security.md (controllers vs agents). The agent connects
 * with the right credentials (cluster KV included: same connection) and fails
 * clearly with wrong ones; bad settings are config errors naming the key.
 */
import t, { type Test } from 'tap';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, JSONCodec, nkeys, type ConnectionOptions, type NatsConnection } from 'nats';
import { Agent } from '../src/Agent';
import { ConfigError, loadConfig } from '../src/config/load';
import { natsAuthOptions, type NatsAuthConfig } from '../src/rpc/natsAuth';
import { NatsServerProcess } from '../src/rpc/NatsServerProcess';
import { silentLog, startAgent, testConfig, waitFor } from './helpers/agent';
import { freePort } from './helpers/nats';

const json = JSONCodec();
const root = path.resolve(__dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'wa-auth-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text, { mode: 0o600 });
  return p;
};

/** A nats-server with this config text (JetStream on, its own data dir). */
async function server(t: Tap, conf: string): Promise<NatsServerProcess> {
  const name = `s-${randomBytes(4).toString('hex')}`;
  const s = await NatsServerProcess.start({ port: 0, dataDir: path.join(dir, name), args: ['-c', file(`${name}.conf`, conf)] });
  t.teardown(() => s.stop());
  return s;
}
type Tap = Test;

async function client(t: Tap, url: string, o: Partial<ConnectionOptions>): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: false, ...o });
  t.teardown(() => nc.close());
  return nc;
}

/** Starting an agent with these settings fails, with this message. */
async function refused(t: Tap, env: Record<string, string>, re: RegExp, what: string): Promise<void> {
  const cfg = testConfig({ CLUSTER_ENABLED: 'false', AGENT_PRERUN_NODES: '0', ...env });
  const err = await Agent.start(cfg, { log: silentLog }).then(
    async (a) => {
      await a.stop();
      return undefined;
    },
    (e: Error) => e,
  );
  t.match(err?.message, re, what);
}

async function getNode(nc: NatsConnection, agent: Agent): Promise<unknown> {
  const m = await nc.request(agent.subjects.agent('getNode'), json.encode({ room: 'r', task: 't' }), { timeout: 5000 });
  if (m.data.length === 0) throw new Error(`error reply: ${m.headers?.get('Nats-Service-Error-Code')} ${m.headers?.get('Nats-Service-Error')}`);
  return json.decode(m.data);
}

t.test('token', async (t) => {
  const token = randomBytes(12).toString('hex');
  const s = await server(t, `authorization { token: "${token}" }`);
  const agent = await startAgent(t, testConfig({ NATS_URL: s.url, NATS_TOKEN: token, CLUSTER_ENABLED: 'true', AGENT_PRERUN_NODES: '1' }));
  t.ok(agent.cluster, 'joined the cluster (KV) over the same connection');
  t.match(await getNode(await client(t, s.url, { token }), agent), { nodeId: /_/ });
  await refused(t, { NATS_URL: s.url, NATS_TOKEN: 'wrong' }, /Authorization Violation/i, 'a wrong token is refused');
  await refused(t, { NATS_URL: s.url }, /Authorization Violation/i, 'no token is refused');
});

t.test('user and password', async (t) => {
  const s = await server(t, 'authorization { user: "ag", password: "pw-right" }');
  const agent = await startAgent(t, testConfig({ NATS_URL: s.url, NATS_USER: 'ag', NATS_PASSWORD: 'pw-right', AGENT_PRERUN_NODES: '1' }));
  t.match(await getNode(await client(t, s.url, { user: 'ag', pass: 'pw-right' }), agent), { nodeId: /_/ });
  await refused(t, { NATS_URL: s.url, NATS_USER: 'ag', NATS_PASSWORD: 'pw-wrong' }, /Authorization Violation/i, 'a wrong password is refused');
  // The CLI's drain signs in with the same variables (the agent answers from this process: no spawnSync).
  const drained = await promisify(execFile)(process.execPath, [path.join(root, 'dist/cli/index.js'), 'drain', '--agent', agent.id], {
    env: { PATH: process.env.PATH, NATS_URL: s.url, NATS_USER: 'ag', NATS_PASSWORD: 'pw-right' },
    encoding: 'utf8',
    timeout: 15_000,
  });
  t.match(JSON.parse(drained.stdout), { reason: 'cli', rooms: [{ room: 'r', tasks: ['t'] }] }, 'the CLI drains with NATS credentials');
});

t.test('nkey', async (t) => {
  const kp = nkeys.createUser();
  const other = nkeys.createUser();
  const seed = file('agent.nk', `${new TextDecoder().decode(kp.getSeed())}\n`);
  const wrong = file('other.nk', new TextDecoder().decode(other.getSeed()));
  const s = await server(t, `authorization { users: [ { nkey: "${kp.getPublicKey()}" } ] }`);
  const agent = await startAgent(t, testConfig({ NATS_URL: s.url, NATS_NKEY_SEED_FILE: seed, CLUSTER_ENABLED: 'true', AGENT_PRERUN_NODES: '1' }));
  t.ok(agent.cluster);
  const nc = await client(t, s.url, natsAuthOptions({ ...noAuth, nkeySeedFile: seed }));
  t.match(await getNode(nc, agent), { nodeId: /_/ });
  await refused(t, { NATS_URL: s.url, NATS_NKEY_SEED_FILE: wrong }, /Authorization Violation/i, 'another seed is refused');
});

t.test('TLS with a CA and client certificates (openssl)', async (t) => {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ca = (n: string) => {
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${n}.key`, '-out', `${n}.pem`, '-days', '2', '-subj', `/CN=${n}`);
  };
  const leaf = (n: string, by: string, ext: string) => {
    ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${n}.key`, '-out', `${n}.csr`, '-subj', `/CN=${n}`);
    file(`${n}.ext`, ext);
    ossl('x509', '-req', '-in', `${n}.csr`, '-CA', `${by}.pem`, '-CAkey', `${by}.key`, '-CAcreateserial', '-out', `${n}.pem`, '-days', '2', '-extfile', `${n}.ext`);
  };
  ca('ca');
  ca('rogue-ca');
  leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue-client', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const p = (n: string) => path.join(dir, n);
  const s = await server(t, `tls { cert_file: "${p('server.pem')}", key_file: "${p('server.key')}", ca_file: "${p('ca.pem')}", verify: true }`);
  const good = { NATS_URL: s.url, NATS_REQUEST_TIMEOUT_MS: '1500', NATS_TLS_CA: p('ca.pem'), NATS_TLS_CERT: p('client.pem'), NATS_TLS_KEY: p('client.key') };
  const agent = await startAgent(t, testConfig({ ...good, CLUSTER_ENABLED: 'true', AGENT_PRERUN_NODES: '1' }));
  t.ok(agent.cluster);
  const nc = await client(t, s.url, natsAuthOptions({ ...noAuth, tlsCaFile: p('ca.pem'), tlsCertFile: p('client.pem'), tlsKeyFile: p('client.key') }));
  t.match(await getNode(nc, agent), { nodeId: /_/ });
  // TLS 1.3: the server checks the client certificate after the handshake and drops the connection; the client sees no reply.
  await refused(t, { ...good, NATS_TLS_CERT: '', NATS_TLS_KEY: '' }, /TIMEOUT|certificate/i, 'no client certificate: refused');
  await refused(t, { ...good, NATS_TLS_CERT: p('rogue-client.pem'), NATS_TLS_KEY: p('rogue-client.key') }, /.+/, 'a client certificate from another CA: refused');
  await refused(t, { ...good, NATS_TLS_CA: p('rogue-ca.pem') }, /self.signed|unable to verify|certificate/i, 'a server the CA did not sign: refused');
  // A key that is not the certificate's: a config error before any connection.
  t.throws(() => testConfig({ ...good, NATS_TLS_KEY: p('rogue-client.key') }), { key: 'nats.tlsKeyFile', message: /is not the key of/ });
});

t.test('the example permissions of docs/security.md: controllers and agents', async (t) => {
  process.env.AGENT_PASSWORD = `pw${randomBytes(8).toString('hex')}`; // nats-server parses the variable as a value: start with a letter
  process.env.CONTROLLER_PASSWORD = `pw${randomBytes(8).toString('hex')}`;
  const conf = readFileSync(path.join(root, 'config/nats-permissions.example.conf'), 'utf8');
  const s = await server(t, conf);
  // The agent, with the cluster on: its KV buckets, schedule endpoint and loss checks all work within AGENT.
  const agent = await startAgent(
    t,
    testConfig({ NATS_URL: s.url, NATS_USER: 'agent', NATS_PASSWORD: process.env.AGENT_PASSWORD, CLUSTER_ENABLED: 'true', CLUSTER_REPORT_INTERVAL_MS: '100', AGENT_PRERUN_NODES: '1' }),
  );
  const errors: string[] = [];
  const ctl = await client(t, s.url, { user: 'controller', pass: process.env.CONTROLLER_PASSWORD });
  void (async () => {
    for await (const st of ctl.status()) {
      const c = (st as { permissionContext?: { operation: string; subject: string } }).permissionContext;
      if (st.type === 'error') errors.push(`${String(st.data)} ${c?.operation} ${c?.subject}`);
    }
  })();
  const { nodeId } = (await getNode(ctl, agent)) as { nodeId: string };
  t.match(nodeId, /_/, 'a controller calls the agent API');
  const dump = await ctl.request(`webrtc-agent.node.${nodeId}.dump`, json.encode({}), { timeout: 5000 });
  t.match(json.decode(dump.data), { rooms: [{ room: 'r' }] }, 'and the node API');
  await waitFor(async () => {
    try {
      const m = await ctl.request(agent.cluster!.subjects.schedule(), json.encode({ purpose: 'webrtc', task: 'x' }), { timeout: 1000 });
      return (json.decode(m.data) as { id?: string }).id === agent.id;
    } catch {
      return false;
    }
  }, 5000, 'schedule answered through the queue group').catch(() => undefined);
  const scheduled = await ctl
    .request(agent.cluster!.subjects.schedule(), json.encode({ purpose: 'webrtc', task: 'y' }), { timeout: 2000 })
    .then((m) => json.decode(m.data) as { id?: string }, (e: Error) => ({ error: e.message }));
  t.match(scheduled, { id: agent.id }, 'a controller schedules (the agent answers through the queue group)');
  const lost: unknown[] = [];
  ctl.subscribe(agent.cluster!.subjects.lost(), { callback: () => lost.push(1) });

  // What a controller may not do: the agents' internal subjects and the cluster's KV.
  const denied = async (subject: string) => {
    errors.length = 0;
    ctl.publish(subject, json.encode({ trackId: 'cam', ip: '203.0.113.1', port: 9, ssrc: 1, agentId: 'x' }));
    await ctl.flush();
    const violation = `PERMISSIONS_VIOLATION publish ${subject}`;
    await waitFor(() => errors.includes(violation), 3000, `the violation on ${subject}`).catch(() => undefined);
    t.ok(errors.includes(violation), `controller publish to ${subject}: Permissions Violation (${errors.join('; ') || 'no error'})`);
  };
  await denied('webrtc-agent.internal.127-0-0-1-9.exportTrack');
  await denied('$KV.webrtc-agent-owt-agents.agent.x');
  await denied('$JS.API.STREAM.DELETE.KV_webrtc-agent-owt-agents');
  errors.length = 0;
  ctl.subscribe('webrtc-agent.agent.>');
  await ctl.flush();
  const subViolation = 'PERMISSIONS_VIOLATION subscription webrtc-agent.agent.>';
  await waitFor(() => errors.includes(subViolation), 3000, 'the subscribe violation').catch(() => undefined);
  t.ok(errors.includes(subViolation), `a controller cannot subscribe to the agent API (it cannot pose as an agent): ${errors.join('; ') || 'no error'}`);

  // No credentials: no connection.
  const anon = await connect({ servers: s.url, reconnect: false }).then(
    (nc) => nc.close().then(() => 'connected'),
    (e: Error) => e.message,
  );
  t.match(anon, /Authorization Violation/i, 'an outsider cannot connect');
});

t.test('the embedded nats-server with a token', async (t) => {
  const token = randomBytes(12).toString('hex');
  const dataDir = path.join(dir, 'embedded');
  const port = await freePort();
  const agent = await startAgent(t, testConfig({ NATS_EMBEDDED: 'always', NATS_EMBEDDED_PORT: String(port), NATS_EMBEDDED_DATA_DIR: dataDir, NATS_TOKEN: token, AGENT_PRERUN_NODES: '1' }));
  t.ok(agent.embeddedNats);
  t.match(await getNode(await client(t, agent.natsUrl, { token }), agent), { nodeId: /_/ });
  const anon = await connect({ servers: agent.natsUrl, reconnect: false }).then(
    (nc) => nc.close().then(() => 'connected'),
    (e: Error) => e.message,
  );
  t.match(anon, /Authorization Violation/i, 'the embedded server wants the token');
  t.notMatch(readFileSync(`/proc/${agent.embeddedNats!.pid}/cmdline`, 'utf8'), new RegExp(token), 'the token is not on its command line');
});

const noAuth: NatsAuthConfig = { credsFile: '', nkeySeedFile: '', token: '', user: '', password: '', tlsCaFile: '', tlsCertFile: '', tlsKeyFile: '' };

t.test('bad settings are config errors naming the key', async (t) => {
  const seed = file('ok.nk', new TextDecoder().decode(nkeys.createUser().getSeed()));
  const notSeed = file('bad.nk', 'hello\n');
  const unreadable = path.join(dir, 'missing.pem');
  const ext = { NATS_URL: 'nats://127.0.0.1:1' };
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ ...ext, NATS_NKEY_SEED_FILE: notSeed }, 'nats.nkeySeedFile', /no valid nkey user seed/],
    [{ ...ext, NATS_NKEY_SEED_FILE: unreadable }, 'nats.nkeySeedFile', /file not found/],
    [{ ...ext, NATS_CREDS: notSeed }, 'nats.credsFile', /not a NATS credentials file/],
    [{ ...ext, NATS_CREDS: dir }, 'nats.credsFile', /cannot read .* \(EISDIR\)/],
    [{ ...ext, NATS_TLS_CA: notSeed }, 'nats.tlsCaFile', /no PEM certificate/],
    [{ ...ext, NATS_TLS_CERT: seed }, 'nats.tlsKeyFile', /go together/],
    [{ ...ext, NATS_USER: 'u' }, 'nats.password', /go together/],
    [{ ...ext, NATS_TOKEN: 'x', NATS_NKEY_SEED_FILE: seed }, 'nats.token', /only one of/],
    [{ NATS_EMBEDDED: 'always', NATS_NKEY_SEED_FILE: seed }, 'nats.nkeySeedFile', /bundled nats-server takes nats.token/],
  ];
  for (const [env, key, re] of cases) {
    const err = (() => {
      try {
        testConfig(env);
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    t.equal(err?.key, key, `${JSON.stringify(env)} -> ${key}`);
    t.match(err?.message, re);
  }
  t.ok(loadConfig({ argv: [], env: { ...ext, NATS_NKEY_SEED_FILE: seed } }), 'a good seed file loads');
  // As a process: exit 2 with one line naming the key.
  const r = spawnSync(process.execPath, [path.join(root, 'dist/main.js')], {
    env: { PATH: process.env.PATH, NATS_URL: 'nats://127.0.0.1:1', NATS_TLS_CA: unreadable },
    encoding: 'utf8',
    timeout: 10_000,
  });
  t.equal(r.status, 2);
  t.match(r.stderr.trim(), /^config: nats\.tlsCaFile: file not found: \S+missing\.pem \(from env NATS_TLS_CA\)$/);
  // The CLI reads the same variables and says the same.
  const c = spawnSync(process.execPath, [path.join(root, 'dist/cli/index.js'), 'agents'], {
    env: { PATH: process.env.PATH, NATS_URL: 'nats://127.0.0.1:1', NATS_NKEY_SEED_FILE: notSeed },
    encoding: 'utf8',
    timeout: 10_000,
  });
  t.equal(c.status, 2);
  t.match(c.stderr.trim(), /^nats\.nkeySeedFile: .* holds no valid nkey user seed/);
});
