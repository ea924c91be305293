import type { NatsConnection } from 'nats';

/** Whether the NATS connection is up, from the client's status events. */
export class NatsWatch {
  #connected = true;
  readonly #nc: NatsConnection;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') this.#connected = false;
        else if (s.type === 'reconnect') this.#connected = true;
      }
    })().catch(() => undefined);
  }

  get connected(): boolean {
    return this.#connected && !this.#nc.isClosed();
  }
}
