import pg from 'pg';

/** First and longest wait before reconnecting a lost LISTEN connection. */
export const LISTENER_RECONNECT_DELAY_MS_MIN = 100;
export const LISTENER_RECONNECT_DELAY_MS_MAX = 5_000;

export interface PostgresListenerHandlers {
  /** A NOTIFY on the channel (delivered only after its transaction committed). */
  readonly onNotification: (payload: string) => void;
  /**
   * LISTEN is in place (again). Notifications sent while the connection was down are lost, so a
   * consumer that caches must treat this as "anything may have changed".
   */
  readonly onListening: () => void;
  /** The connection is lost: from now until `onListening`, changes go unheard. */
  readonly onLost: (reason: string) => void;
}

export interface PostgresListenerOptions {
  readonly url: string;
  readonly channel: string;
  readonly applicationName: string;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * One dedicated PostgreSQL connection that LISTENs on one channel, reconnecting with exponential back-off
 * (100 ms doubling to 5 s) until `stop`. Outside the pool on purpose: a LISTEN session must stay on one
 * connection, and a pooled one would be handed to other queries.
 */
export class PostgresListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private delayMs = LISTENER_RECONNECT_DELAY_MS_MIN;

  constructor(
    private readonly options: PostgresListenerOptions,
    private readonly handlers: PostgresListenerHandlers,
  ) {
    if (!CHANNEL.test(options.channel)) throw new RangeError(`invalid channel name ${JSON.stringify(options.channel)}`);
  }

  get listening(): boolean {
    return this.client !== null;
  }

  /** Connects and LISTENs; resolves once listening, or after the first failure (then retries in the background). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const client = this.client;
    this.client = null;
    if (client !== null) await client.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: this.options.applicationName,
      keepAlive: true,
    });
    client.on('notification', (message) => {
      if (message.channel === this.options.channel) this.handlers.onNotification(message.payload ?? '');
    });
    client.on('error', (error) => this.lose(client, error.message));
    client.on('end', () => this.lose(client, 'connection ended'));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.lose(client, error instanceof Error ? error.message : String(error));
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.delayMs = LISTENER_RECONNECT_DELAY_MS_MIN;
    this.handlers.onListening();
  }

  private lose(client: pg.Client, reason: string): void {
    if (this.client !== null && this.client !== client) return;
    const wasListening = this.client === client;
    this.client = null;
    if (this.stopped) return;
    if (wasListening || this.reconnectTimer === null) this.handlers.onLost(reason);
    if (this.reconnectTimer !== null) return;
    const delayMs = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, LISTENER_RECONNECT_DELAY_MS_MAX);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delayMs);
    this.reconnectTimer.unref();
  }
}
