import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { NovationConfig } from '@novation/config';
import {
  ACCOUNT_EVENT_CHANNEL,
  ACCOUNT_EVENT_PAGE_SIZE_MAX,
  currentAccountEventPosition,
  isUuid,
  listAccountEvents,
  loadAccountEvents,
  type AccountEventNotification,
  type StoredAccountEvent,
} from '@novation/persistence';
import { NOVATION_CONFIG, PostgresListener } from '@novation/platform';
import type { FastifyInstance } from 'fastify';
import { DataSource } from 'typeorm';
import { ACCOUNT_EVENT_ID, liveResumePosition, toAccountEventModel } from './account-event.mapper.js';
import type { AccountEvent } from './models/account-event.model.js';

/** Most notified ids waiting to be loaded; beyond it the oldest are dropped (clients catch up by query). */
const PENDING_IDS_MAX = 50_000;
/** Ids loaded per query. */
const LOAD_BATCH_MAX = ACCOUNT_EVENT_PAGE_SIZE_MAX;
/** Most events replayed per firm after the LISTEN connection was lost and came back. */
const REPLAY_EVENTS_PER_FIRM_MAX = ACCOUNT_EVENT_PAGE_SIZE_MAX;
/** Ids published recently, remembered so a replay and a late notification do not deliver one event twice. */
const RECENT_IDS_MAX = 10_000;
/**
 * Replay passes after a reconnection while a transaction older than it still runs (its events, and those
 * of younger transactions that committed while the connection was down, are held back until it ends),
 * waiting REPLAY_PASS_DELAY_MS doubled per pass up to REPLAY_PASS_DELAY_MAX_MS: about 5 minutes in all.
 * Beyond that the events are left to the catch-up query.
 */
const REPLAY_PASSES_MAX = 40;
const REPLAY_PASS_DELAY_MS = 50;
const REPLAY_PASS_DELAY_MAX_MS = 10_000;

/** The Mercurius pubsub topic of a member firm's account events. */
export function accountEventTopic(memberFirmId: string): string {
  return `account-events:${memberFirmId}`;
}

/** What Mercurius publishes to subscribers: the subscription field's value. */
export interface AccountEventMessage {
  readonly accountEvents: AccountEvent;
}

interface MercuriusPubSub {
  publish(event: { topic: string; payload: AccountEventMessage }): void | Promise<void>;
}

/**
 * Turns committed account events into subscription messages. One dedicated PostgreSQL LISTEN connection per
 * API process (outside the pool, reconnecting with back-off) hears `account_event` notifications; the ids of
 * firms with a subscriber on this process are loaded in batches and published to the firm's topic, so a
 * firm's subscription only ever sees that firm's events. Notifications sent while the connection is down
 * are lost: when it is back, the subscribed firms' events are replayed in catch-up order from the highest
 * horizon heard (every event of a transaction below it was heard before: NOTIFY follows commit order),
 * skipping the ones already published. Catch-up holds back the events of transactions at or above the
 * oldest one still running, so the replay is repeated, with back-off, until that horizon has passed every
 * transaction that could have committed before the LISTEN was back (the snapshot's xmax then): an event
 * committed while the connection was down behind a longer transaction is pushed once that one ends. Each
 * pushed event's `cursor` is its live resume point.
 */
@Injectable()
export class AccountEventPublisher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AccountEventPublisher.name);
  private readonly listener: PostgresListener;
  /** Active subscriptions per member firm on this process. */
  private readonly subscribers = new Map<string, number>();
  private pending: AccountEventNotification[] = [];
  private flushing: Promise<void> | null = null;
  private readonly recentIds = new Set<string>();
  /**
   * Highest horizon (transaction id) of an event notified (to a subscribed firm or not) or published: a
   * replay after a lost connection starts there. Set to the current snapshot's xmin at start.
   */
  private replayFrom = 0n;
  private lostSinceListening = false;
  /** Pending back-off waits of replays, ended at once on shutdown. */
  private readonly wakeOnStop = new Set<() => void>();

  constructor(
    @Inject(NOVATION_CONFIG) config: NovationConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly httpAdapterHost: HttpAdapterHost,
  ) {
    this.listener = new PostgresListener(
      { url: config.database.url, channel: ACCOUNT_EVENT_CHANNEL, applicationName: 'novation-api-account-events' },
      {
        onNotification: (payload) => this.notified(payload),
        onListening: () => {
          if (!this.lostSinceListening) return;
          this.lostSinceListening = false;
          this.logger.log('account event notifications back: replaying what was missed');
          this.replayUntilFinal().catch((error: unknown) =>
            this.logger.error({ err: error }, 'account event replay failed'),
          );
        },
        onLost: (reason) => {
          this.lostSinceListening = true;
          this.logger.warn(`account event notifications lost (${reason}): reconnecting`);
        },
      },
    );
  }

  get listening(): boolean {
    return this.listener.listening;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.advance((await currentAccountEventPosition(this.dataSource.manager)).xactId);
    await this.listener.start();
  }

  /** Stops listening first, so nothing new is published to sockets the server is closing. */
  async onModuleDestroy(): Promise<void> {
    await this.listener.stop();
    for (const wake of [...this.wakeOnStop]) wake();
    await this.flushing;
  }

  /** Counts a subscription of `memberFirmId`; the returned function releases it (idempotent). */
  acquire(memberFirmId: string): () => void {
    this.subscribers.set(memberFirmId, (this.subscribers.get(memberFirmId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.subscribers.get(memberFirmId) ?? 1) - 1;
      if (left <= 0) this.subscribers.delete(memberFirmId);
      else this.subscribers.set(memberFirmId, left);
    };
  }

  private notified(payload: string): void {
    const notification = parseNotification(payload);
    if (notification === null) {
      this.logger.error(`unreadable account event notification ${JSON.stringify(payload.slice(0, 100))}`);
      return;
    }
    this.advance(notification.horizon);
    // Nobody of this firm listens here: nothing to load.
    if (!this.subscribers.has(notification.memberFirmId)) return;
    this.pending.push(notification);
    if (this.pending.length > PENDING_IDS_MAX) {
      const dropped = this.pending.length - PENDING_IDS_MAX;
      this.pending = this.pending.slice(dropped);
      this.logger.warn(`account event backlog full: ${dropped} events not pushed (clients catch up by query)`);
    }
    this.flushing ??= this.flush().finally(() => {
      this.flushing = null;
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, LOAD_BATCH_MAX);
      try {
        const events = await loadAccountEvents(
          this.dataSource.manager,
          batch.map((notification) => notification.id),
        );
        for (const event of events) this.publish(event);
      } catch (error) {
        this.logger.error({ err: error }, `could not load ${batch.length} account events: not pushed`);
      }
    }
  }

  /**
   * After a lost connection: replays until every transaction that may have committed before LISTEN was
   * back (xid below the snapshot's xmax read now) has ended, so none of their events stays held back.
   * The horizon is read before each pass: a pass that starts at or past the target replays all of them.
   */
  private async replayUntilFinal(): Promise<void> {
    const [row] = (await this.dataSource.query(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`)) as {
      xmax: string;
    }[];
    const target = BigInt(row?.xmax ?? '0');
    let delayMs = REPLAY_PASS_DELAY_MS;
    for (let pass = 1; ; pass += 1) {
      const horizon = BigInt((await currentAccountEventPosition(this.dataSource.manager)).xactId);
      await this.replay();
      if (horizon >= target || !this.listener.listening) return;
      if (pass >= REPLAY_PASSES_MAX) {
        this.logger.warn('account events held back by a long transaction: left to the catch-up query');
        return;
      }
      await this.pause(delayMs);
      if (!this.listener.listening) return;
      delayMs = Math.min(delayMs * 2, REPLAY_PASS_DELAY_MAX_MS);
    }
  }

  /** Waits `ms`, or less when the publisher stops (so a replay's back-off never delays shutdown). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wakes = this.wakeOnStop;
      function done(): void {
        clearTimeout(timer);
        wakes.delete(done);
        resolve();
      }
      wakes.add(done);
    });
  }

  /** Every subscribed firm's events from the replay point, bounded. */
  private async replay(): Promise<void> {
    const after = { xactId: this.replayFrom.toString(), id: '0' };
    for (const memberFirmId of [...this.subscribers.keys()]) {
      const events = await listAccountEvents(this.dataSource.manager, {
        memberFirmId,
        after,
        limit: REPLAY_EVENTS_PER_FIRM_MAX,
      });
      for (const event of events) this.publish(event);
    }
  }

  private publish(event: StoredAccountEvent): void {
    if (event.memberFirmId === null || this.recentIds.has(event.id)) return;
    this.remember(event.id);
    this.advance(event.horizon);
    const pubsub = (
      this.httpAdapterHost.httpAdapter.getInstance<FastifyInstance>() as { graphql?: { pubsub?: MercuriusPubSub } }
    ).graphql?.pubsub;
    if (pubsub === undefined) return;
    let model: AccountEvent;
    try {
      model = toAccountEventModel(event, liveResumePosition);
    } catch (error) {
      this.logger.error({ err: error }, `account event ${event.id} cannot be shown: not pushed`);
      return;
    }
    void Promise.resolve(
      pubsub.publish({ topic: accountEventTopic(event.memberFirmId), payload: { accountEvents: model } }),
    ).catch((error: unknown) => this.logger.error({ err: error }, `account event ${event.id} not published`));
  }

  private remember(id: string): void {
    this.recentIds.add(id);
    if (this.recentIds.size > RECENT_IDS_MAX) {
      const oldest = this.recentIds.values().next().value;
      if (oldest !== undefined) this.recentIds.delete(oldest);
    }
  }

  private advance(horizon: string): void {
    const numeric = BigInt(horizon);
    if (numeric > this.replayFrom) this.replayFrom = numeric;
  }
}

function parseNotification(payload: string): AccountEventNotification | null {
  try {
    const parsed = JSON.parse(payload) as Partial<AccountEventNotification> | null;
    if (typeof parsed?.id !== 'string' || !ACCOUNT_EVENT_ID.test(parsed.id)) return null;
    if (!isUuid(parsed.memberFirmId)) return null;
    if (typeof parsed.horizon !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(parsed.horizon)) return null;
    return { id: parsed.id, memberFirmId: parsed.memberFirmId, horizon: parsed.horizon };
  } catch {
    return null;
  }
}
