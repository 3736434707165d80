/**
 * An in-memory cache of database reads that change notifications invalidate (see ReadModelListener).
 * Entries live in groups (an account id, an instrument id); a notification drops a whole group.
 *
 * The race it closes: a reader misses, reads the database, and meanwhile a change commits and its
 * notification drops the (empty) group; storing the reader's now-stale value would keep it until the
 * entry ages out. So a reader takes a ticket (the invalidation sequence number) BEFORE it reads, and
 * `set` refuses when its group, or everything, was invalidated after that ticket. Notifications arrive
 * after COMMIT, so a read that starts after a notification sees the change.
 *
 * Bounded: at most `entriesMax` entries (when full, everything is dropped: at worst one more database
 * read per entry), each served for at most `maxAgeMs` (a safety net, not the invalidation mechanism).
 * While `enabled` is false (the listener is not connected, so changes could go unheard) nothing is served
 * or stored.
 */
export interface InvalidatingCacheOptions {
  readonly entriesMax: number;
  readonly maxAgeMs: number;
  readonly nowMs?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly storedAtMs: number;
}

export class InvalidatingCache<V> {
  private readonly groups = new Map<string, Map<string, Entry<V>>>();
  /** The sequence number of each group's last invalidation, for groups invalidated since `floor`. */
  private readonly invalidatedAt = new Map<string, number>();
  private sequence = 0;
  /** Tickets below this were taken before a full invalidation: their reads may be stale anywhere. */
  private floor = 0;
  private entries = 0;
  private active = false;
  private readonly nowMs: () => number;

  constructor(private readonly options: InvalidatingCacheOptions) {
    if (!Number.isSafeInteger(options.entriesMax) || options.entriesMax < 1) {
      throw new RangeError('entriesMax must be a positive integer');
    }
    if (!Number.isFinite(options.maxAgeMs) || options.maxAgeMs <= 0) throw new RangeError('maxAgeMs must be > 0');
    this.nowMs = options.nowMs ?? Date.now;
  }

  get enabled(): boolean {
    return this.active;
  }

  /** Turning the cache on or off drops everything: changes may have gone unheard meanwhile. */
  set enabled(value: boolean) {
    this.invalidateAll();
    this.active = value;
  }

  get size(): number {
    return this.entries;
  }

  get(group: string, key: string): V | undefined {
    if (!this.active) return undefined;
    const entry = this.groups.get(group)?.get(key);
    if (entry === undefined) return undefined;
    if (this.nowMs() - entry.storedAtMs >= this.options.maxAgeMs) return undefined;
    return entry.value;
  }

  /** Take before reading the database; pass to `set` with what was read. */
  ticket(): number {
    return this.sequence;
  }

  /** Stores a value read after `ticket` was taken, unless its group changed since. True if stored. */
  set(ticket: number, group: string, key: string, value: V): boolean {
    if (!this.active || ticket < this.floor || (this.invalidatedAt.get(group) ?? -1) > ticket) return false;
    if (this.entries >= this.options.entriesMax) this.invalidateAll();
    // invalidateAll raised the floor above this ticket: the read may predate a change.
    if (ticket < this.floor) return false;
    let entries = this.groups.get(group);
    if (entries === undefined) {
      entries = new Map();
      this.groups.set(group, entries);
    }
    if (!entries.has(key)) this.entries += 1;
    entries.set(key, { value, storedAtMs: this.nowMs() });
    return true;
  }

  /**
   * True when none of `groups` (nor everything) was invalidated after `ticket` and the cache is on: what
   * was read from them since the ticket is still current. The response cache checks its entries with it.
   */
  unchangedSince(ticket: number, groups: Iterable<string>): boolean {
    if (!this.active || ticket < this.floor) return false;
    for (const group of groups) if ((this.invalidatedAt.get(group) ?? -1) > ticket) return false;
    return true;
  }

  invalidate(groups: Iterable<string>): void {
    for (const group of groups) {
      this.sequence += 1;
      this.invalidatedAt.set(group, this.sequence);
      const entries = this.groups.get(group);
      if (entries !== undefined) {
        this.entries -= entries.size;
        this.groups.delete(group);
      }
    }
    // The per-group marks are only needed for tickets above the floor; bound them by raising it.
    if (this.invalidatedAt.size > this.options.entriesMax) this.invalidateAll();
  }

  invalidateAll(): void {
    this.sequence += 1;
    this.floor = this.sequence;
    this.groups.clear();
    this.invalidatedAt.clear();
    this.entries = 0;
  }
}
