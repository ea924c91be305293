/**
 * `webrtc-agent call`: find a running agent through the NATS services
 * discovery ($SRV.INFO) and call one of its methods, or a node's method.
 */
import { connect, RequestStrategy, ServiceError, type ConnectionOptions, type NatsConnection, type ServiceInfo } from 'nats';
import { SERVICE_NAME } from '../rpc/subjects';

export interface CallOptions {
  method: string;
  payload: string;
  agent?: string;
  node?: string;
  nats: string;
  /** Credentials and TLS for the connection (natsAuthOptions). */
  auth?: Partial<ConnectionOptions>;
  timeoutMs: number;
  prefix?: string;
}

export interface CallOutcome {
  exitCode: number;
  output: string;
}

export async function discoverAgents(nc: NatsConnection, timeoutMs = 1000): Promise<ServiceInfo[]> {
  const infos: ServiceInfo[] = [];
  const it = await nc.services.client({ strategy: RequestStrategy.JitterTimer, maxWait: timeoutMs, jitter: 300 }).info(SERVICE_NAME);
  for await (const info of it) infos.push(info);
  return infos.sort((a, b) => a.id.localeCompare(b.id));
}

/** `<prefix>.agent.<id>.<method>` -> prefix */
export function prefixOf(info: ServiceInfo): string | undefined {
  const ep = info.endpoints.find((e) => e.subject.includes(`.agent.${info.id}.`));
  return ep ? ep.subject.slice(0, ep.subject.indexOf(`.agent.${info.id}.`)) : undefined;
}

export async function call(o: CallOptions): Promise<CallOutcome> {
  let body: Uint8Array;
  try {
    JSON.parse(o.payload);
    body = new TextEncoder().encode(o.payload);
  } catch (err) {
    return { exitCode: 2, output: `payload is not JSON: ${(err as Error).message}` };
  }
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: o.nats.split(','), timeout: 2000, ...o.auth });
  } catch (err) {
    return { exitCode: 3, output: `cannot reach NATS at ${o.nats}: ${(err as Error).message}` };
  }
  try {
    let subject: string;
    if (o.node) {
      let prefix = o.prefix;
      if (!prefix) {
        const infos = await discoverAgents(nc);
        prefix = infos.map(prefixOf).find(Boolean) ?? 'webrtc-agent';
      }
      subject = `${prefix}.node.${o.node}.${o.method}`;
    } else {
      const infos = await discoverAgents(nc);
      const info = o.agent ? infos.find((i) => i.id === o.agent) : infos[0];
      if (!info) {
        const known = infos.map((i) => i.id).join(', ') || 'none';
        return { exitCode: 3, output: `no ${SERVICE_NAME} agent${o.agent ? ` with id ${o.agent}` : ''} found (agents: ${known})` };
      }
      const ep = info.endpoints.find((e) => e.name === o.method);
      if (!ep) {
        const names = info.endpoints.map((e) => e.name).join(', ');
        return { exitCode: 2, output: `agent ${info.id} has no method ${o.method} (methods: ${names}; node methods need --node)` };
      }
      subject = ep.subject;
    }
    try {
      const msg = await nc.request(subject, body, { timeout: o.timeoutMs });
      const serr = ServiceError.toServiceError(msg);
      if (serr) return { exitCode: 1, output: `error ${serr.code}: ${serr.message}` };
      const text = new TextDecoder().decode(msg.data);
      return { exitCode: 0, output: JSON.stringify(JSON.parse(text || 'null'), null, 2) };
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === '503') return { exitCode: 1, output: `error 503: no responders on ${subject}` };
      return { exitCode: 1, output: `error: ${e.message} (${subject})` };
    }
  } finally {
    await nc.close();
  }
}
