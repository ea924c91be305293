/**
 * NATS authentication and TLS: the `nats.*` credential keys checked, their
 * files read, and turned into nats.js connection options. One set of options
 * serves every connection the agent makes (the agent API, node subscriptions,
 * cluster KV, media-between-agents requests all share the one connection),
 * and the CLI builds the same from the same environment variables.
 *
 * Files are read and checked once at start: a missing, unreadable or
 * malformed file is a ConfigIssue naming its key (exit 2), not a connect
 * error later.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, nkeys, type ConnectionOptions } from 'nats';

/** The credential keys of the `nats` section. */
export interface NatsAuthConfig {
  credsFile: string;
  nkeySeedFile: string;
  token: string;
  user: string;
  password: string;
  tlsCaFile: string;
  tlsCertFile: string;
  tlsKeyFile: string;
}

/** The env names of the keys (as in src/config/schema.ts), for the CLI. */
export const NATS_AUTH_ENV: Record<keyof NatsAuthConfig, string> = {
  credsFile: 'NATS_CREDS',
  nkeySeedFile: 'NATS_NKEY_SEED_FILE',
  token: 'NATS_TOKEN',
  user: 'NATS_USER',
  password: 'NATS_PASSWORD',
  tlsCaFile: 'NATS_TLS_CA',
  tlsCertFile: 'NATS_TLS_CERT',
  tlsKeyFile: 'NATS_TLS_KEY',
};

export function natsAuthFromEnv(env: NodeJS.ProcessEnv): NatsAuthConfig {
  const out = {} as NatsAuthConfig;
  for (const [k, name] of Object.entries(NATS_AUTH_ENV)) out[k as keyof NatsAuthConfig] = env[name] ?? '';
  return out;
}

/** A bad credential setting: `key` is the config key (`nats.credsFile`). */
export class NatsAuthError extends Error {
  readonly key: string;
  constructor(key: string, message: string) {
    super(`${key}: ${message}`);
    this.name = 'NatsAuthError';
    this.key = key;
  }
}

function readKeyFile(key: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new NatsAuthError(key, err.code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file} (${err.code ?? err.message})`);
  }
}

const CREDS_JWT = /-----BEGIN NATS USER JWT-----\s*\n\s*([^\s-][^\n]*)\s*\n\s*------END NATS USER JWT------/;
const CREDS_SEED = /-----BEGIN USER NKEY SEED-----\s*\n\s*(SU[A-Z2-7]+)\s*\n\s*------END USER NKEY SEED------/;

function checkSeed(key: string, seed: string, where: string): void {
  try {
    if (!seed.startsWith('SU')) throw new Error('not a user seed');
    nkeys.fromSeed(new TextEncoder().encode(seed));
  } catch {
    throw new NatsAuthError(key, `${where} holds no valid nkey user seed (SU...)`);
  }
}

/**
 * Checks the settings and reads the files; returns the connection options.
 * Throws NatsAuthError (naming the key) on the first problem.
 */
export function natsAuthOptions(c: NatsAuthConfig): Partial<ConnectionOptions> {
  const kinds = (['credsFile', 'nkeySeedFile', 'token', 'user'] as const).filter((k) => c[k] !== '');
  if (kinds.length > 1) throw new NatsAuthError(`nats.${kinds[1]}`, `only one of nats.credsFile, nats.nkeySeedFile, nats.token, nats.user may be set (nats.${kinds[0]} is)`);
  if ((c.user === '') !== (c.password === '')) {
    throw new NatsAuthError(c.user === '' ? 'nats.user' : 'nats.password', 'nats.user and nats.password go together');
  }
  const o: Partial<ConnectionOptions> = {};
  if (c.credsFile !== '') {
    const text = readKeyFile('nats.credsFile', c.credsFile);
    const seed = CREDS_SEED.exec(text)?.[1];
    if (!CREDS_JWT.test(text) || !seed) throw new NatsAuthError('nats.credsFile', `${c.credsFile} is not a NATS credentials file (user JWT and nkey seed)`);
    checkSeed('nats.credsFile', seed, c.credsFile);
    o.authenticator = credsAuthenticator(new TextEncoder().encode(text));
  } else if (c.nkeySeedFile !== '') {
    const seed = readKeyFile('nats.nkeySeedFile', c.nkeySeedFile).trim();
    checkSeed('nats.nkeySeedFile', seed, c.nkeySeedFile);
    o.authenticator = nkeyAuthenticator(new TextEncoder().encode(seed));
  } else if (c.token !== '') {
    o.token = c.token;
  } else if (c.user !== '') {
    o.user = c.user;
    o.pass = c.password;
  }
  if ((c.tlsCertFile === '') !== (c.tlsKeyFile === '')) {
    throw new NatsAuthError(c.tlsCertFile === '' ? 'nats.tlsCertFile' : 'nats.tlsKeyFile', 'nats.tlsCertFile and nats.tlsKeyFile go together');
  }
  if (c.tlsCaFile !== '' || c.tlsCertFile !== '') {
    const tls: NonNullable<ConnectionOptions['tls']> = {};
    if (c.tlsCaFile !== '') {
      tls.ca = readKeyFile('nats.tlsCaFile', c.tlsCaFile);
      try {
        new X509Certificate(tls.ca);
      } catch {
        throw new NatsAuthError('nats.tlsCaFile', `${c.tlsCaFile} holds no PEM certificate`);
      }
    }
    if (c.tlsCertFile !== '') {
      tls.cert = readKeyFile('nats.tlsCertFile', c.tlsCertFile);
      tls.key = readKeyFile('nats.tlsKeyFile', c.tlsKeyFile);
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(tls.cert);
      } catch {
        throw new NatsAuthError('nats.tlsCertFile', `${c.tlsCertFile} holds no PEM certificate`);
      }
      let key;
      try {
        key = createPrivateKey(tls.key);
      } catch {
        throw new NatsAuthError('nats.tlsKeyFile', `${c.tlsKeyFile} holds no PEM private key`);
      }
      if (!cert.checkPrivateKey(key)) throw new NatsAuthError('nats.tlsKeyFile', `${c.tlsKeyFile} is not the key of ${c.tlsCertFile}`);
    }
    o.tls = tls;
  }
  return o;
}

/** What the embedded nats-server requires of clients: the agent's own token or user/password (written to a 0600 config file, not the command line). */
export function embeddedAuthorization(c: NatsAuthConfig): Record<string, string> | undefined {
  if (c.token !== '') return { token: c.token };
  if (c.user !== '') return { user: c.user, password: c.password };
  return undefined;
}
