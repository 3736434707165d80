import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NovationConfig } from '@novation/config';
import { NOVATION_CONFIG, PostgresListener } from '@novation/platform';
import { DataSource } from 'typeorm';
import { InvalidatingCache } from './invalidating-cache.js';
import { ResponseCache } from './response-cache.js';

/** The channel the read-model triggers notify (migration 1795780000000-ReadModelNotifications). */
export const READ_MODEL_CHANNEL = 'read_model';

/** Bound on each cache: a few thousand accounts' views fit in a few tens of MB. */
const ACCOUNT_ENTRIES_MAX = 50_000;
const MARK_ENTRIES_MAX = 20_000;
/**
 * Safety net only: an entry is dropped by its change notification, normally milliseconds after the
 * commit; this bounds how long a value could be served if a notification were ever missed while the
 * connection still looked alive.
 */
const ENTRY_AGE_MS_MAX = 30_000;
/** Whole responses of read-model-backed queries (see ResponseCache): 32 MiB, 256 KiB per response. */
const RESPONSE_BYTES_MAX = 32 * 1_048_576;
const RESPONSE_ENTRY_BYTES_MAX = 256 * 1_024;
/** Longest wait for a sync marker; past it the caches are dropped instead (never a stale read). */
const SYNC_WAIT_MS_MAX = 2_000;
/** Bound on concurrent sync waits (one per in-flight mutation). */
const PENDING_SYNCS_MAX = 10_000;

/** What one notification names: a kind of key and the keys (or `all` for everything of that kind). */
export interface ReadModelChange {
  readonly kind: 'account' | 'mark' | 'api-key' | 'sync';
  readonly keys: readonly string[] | 'all';
}

const KINDS: Readonly<Record<string, ReadModelChange['kind']>> = {
  a: 'account',
  m: 'mark',
  k: 'api-key',
  s: 'sync',
};

/** Parses `a:<id>,<id>` / `m:*`; null for anything else (logged, and treated as "everything changed"). */
export function parseReadModelPayload(payload: string): ReadModelChange | null {
  const separator = payload.indexOf(':');
  const kind = KINDS[payload.slice(0, separator)];
  if (separator < 1 || kind === undefined) return null;
  const rest = payload.slice(separator + 1);
  if (rest === '*') return { kind, keys: 'all' };
  const keys = rest.split(',');
  return keys.every((key) => key.length > 0) ? { kind, keys } : null;
}

/**
 * The API's read model: in-memory caches of what the member queries read most (account rows, positions,
 * latest margin, balances per account; latest mark per instrument), kept exact by PostgreSQL change
 * notifications rather than by a TTL. While the LISTEN connection is down the caches are off and every
 * read goes to the database; when it is back they start empty, since changes meanwhile went unheard.
 * Each API instance keeps its own; nothing is shared between callers but committed data, and tenancy
 * is still decided on every request (the cache is keyed by account, checked against the caller's firm).
 */
@Injectable()
export class ReadModelService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(ReadModelService.name);
  /** Groups are account ids. */
  readonly accounts = new InvalidatingCache<unknown>({ entriesMax: ACCOUNT_ENTRIES_MAX, maxAgeMs: ENTRY_AGE_MS_MAX });
  /** Groups are instrument ids. */
  readonly marks = new InvalidatingCache<unknown>({ entriesMax: MARK_ENTRIES_MAX, maxAgeMs: ENTRY_AGE_MS_MAX });
  /** Whole GraphQL responses built only from the two caches above, valid while their groups are. */
  readonly responses = new ResponseCache(this.accounts, this.marks, {
    bytesMax: RESPONSE_BYTES_MAX,
    entryBytesMax: RESPONSE_ENTRY_BYTES_MAX,
    maxAgeMs: ENTRY_AGE_MS_MAX,
  });
  private readonly apiKeyListeners: ((keys: readonly string[] | 'all') => void)[] = [
    (keys) => this.responses.forgetKeys(keys),
  ];
  private readonly listener: PostgresListener;
  private readonly pendingSyncs = new Map<string, () => void>();
  private syncCount = 0;

  constructor(
    @Inject(NOVATION_CONFIG) config: NovationConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.listener = new PostgresListener(
      { url: config.database.url, channel: READ_MODEL_CHANNEL, applicationName: 'novation-api-read-model' },
      {
        onNotification: (payload) => this.apply(payload),
        onListening: () => this.setEnabled(true),
        onLost: (reason) => {
          this.logger.warn(`read-model notifications lost (${reason}): caches off until reconnected`);
          this.setEnabled(false);
        },
      },
    );
  }

  /** Called with the changed API key ids (or 'all') and on every connection change. */
  onApiKeyChange(listener: (keys: readonly string[] | 'all') => void): void {
    this.apiKeyListeners.push(listener);
  }

  get listening(): boolean {
    return this.listener.listening;
  }

  /**
   * A barrier: resolves once every change committed before the call has been applied to the caches.
   * PostgreSQL delivers notifications in commit order, so when our own marker (sent after those commits)
   * comes back, theirs came first. Called after each mutation, so a client reads its own writes on this
   * instance; other changes (another instance, the worker) show up within the notification latency.
   */
  async sync(): Promise<void> {
    if (!this.listening) return;
    if (this.pendingSyncs.size >= PENDING_SYNCS_MAX) {
      this.accounts.invalidateAll();
      this.marks.invalidateAll();
      return;
    }
    this.syncCount += 1;
    const token = `${process.pid}-${this.syncCount}`;
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<boolean>((resolve) => {
      this.pendingSyncs.set(token, () => resolve(true));
      timer = setTimeout(() => resolve(false), SYNC_WAIT_MS_MAX);
    });
    try {
      await this.dataSource.query(`SELECT pg_notify($1, $2)`, [READ_MODEL_CHANNEL, `s:${token}`]);
      if (!(await heard)) {
        this.logger.warn('read-model sync marker not heard in time: caches dropped');
        this.accounts.invalidateAll();
        this.marks.invalidateAll();
      }
    } finally {
      clearTimeout(timer);
      this.pendingSyncs.delete(token);
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.stop();
    this.setEnabled(false);
  }

  private setEnabled(enabled: boolean): void {
    this.accounts.enabled = enabled;
    this.marks.enabled = enabled;
    for (const listener of this.apiKeyListeners) listener('all');
  }

  private apply(payload: string): void {
    const change = parseReadModelPayload(payload);
    if (change === null) {
      this.logger.error(`unreadable read-model notification ${JSON.stringify(payload.slice(0, 100))}: caches dropped`);
      this.accounts.invalidateAll();
      this.marks.invalidateAll();
      for (const listener of this.apiKeyListeners) listener('all');
      return;
    }
    switch (change.kind) {
      case 'account':
        if (change.keys === 'all') this.accounts.invalidateAll();
        else this.accounts.invalidate(change.keys);
        return;
      case 'mark':
        if (change.keys === 'all') this.marks.invalidateAll();
        else this.marks.invalidate(change.keys);
        return;
      case 'api-key':
        for (const listener of this.apiKeyListeners) listener(change.keys);
        return;
      case 'sync':
        if (change.keys !== 'all') for (const token of change.keys) this.pendingSyncs.get(token)?.();
        return;
    }
  }
}
