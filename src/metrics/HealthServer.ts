/**
 * The agent's HTTP face for operators (config metrics.*): `/metrics`
 * (Prometheus text), `/healthz` and `/readyz` (200 or 503 with a small JSON
 * body saying why). Plain node:http: three fixed routes need no framework.
 * Only GET and HEAD; anything else is 404 or 405, never a 500.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface Verdict {
  ok: boolean;
  /** Why not, one short sentence each (empty when ok). */
  reasons: string[];
  [more: string]: unknown;
}

export interface HealthServerOptions {
  host: string;
  port: number;
  scrape(): Promise<string>;
  contentType: string;
  health(): Verdict;
  readiness(): Verdict;
  log: Logger;
}

export class HealthServer {
  readonly #server: http.Server;
  readonly #o: HealthServerOptions;

  private constructor(o: HealthServerOptions) {
    this.#o = o;
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
    // A scraper that holds a connection open must not keep the agent from stopping.
    this.#server.keepAliveTimeout = 5000;
  }

  /** Listens; rejects (EADDRINUSE, EACCES ...) when the address cannot be had. */
  static async start(o: HealthServerOptions): Promise<HealthServer> {
    const s = new HealthServer(o);
    await new Promise<void>((resolve, reject) => {
      s.#server.once('error', reject);
      s.#server.listen(o.port, o.host, () => {
        s.#server.off('error', reject);
        resolve();
      });
    });
    return s;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.#o.host.includes(':') ? `[${this.#o.host}]` : this.#o.host;
    return `http://${host}:${this.port}`;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return send(res, 404, 'text/plain', 'not found\n');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return send(res, 405, 'text/plain', 'method not allowed\n');
      }
      if (path === '/metrics') return send(res, 200, this.#o.contentType, await this.#o.scrape());
      const v = path === '/healthz' ? this.#o.health() : this.#o.readiness();
      return send(res, v.ok ? 200 : 503, 'application/json', `${JSON.stringify(v)}\n`);
    } catch (err) {
      this.#o.log.warn({ err: (err as Error).message, path }, 'metrics request failed');
      return send(res, 503, 'text/plain', `unavailable: ${(err as Error).message}\n`);
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
