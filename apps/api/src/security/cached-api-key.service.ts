import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiKeyService } from '../auth/api-key.service.js';
import type { Principal } from '../auth/principal.js';
import { ReadModelService } from '../common/read-model/read-model.service.js';
import { authorizationDigest } from './failed-authentication.gate.js';
import { API_SECURITY_OPTIONS, type ApiSecurityOptions } from './security.options.js';

/** Bound on the cache; cleared when full (at worst one database read per key again). */
const CACHED_KEYS_MAX = 10_000;

interface CachedPrincipal {
  readonly principal: Principal;
  readonly expiresAtMs: number;
}

/**
 * ApiKeyService whose `authenticate` keeps a successful answer in memory for `authenticationCacheTtlMs`
 * (0 by default: then it is exactly ApiKeyService),
 * keyed by the SHA-256 of the whole Authorization header (never the secret itself), so a busy key costs one
 * database read per TTL instead of one per request. A change to a key row (revocation, rotation, expiry
 * change) drops its entries on every instance as soon as PostgreSQL's change notification arrives
 * (ReadModelService, milliseconds after the commit); the TTL bounds the rest, and an entry never outlives
 * the key's own expiry time. Nothing is served from memory while the notification connection is down (so
 * a database outage still answers INTERNAL). Failed lookups are not cached: an unknown key is always
 * checked against the database.
 */
@Injectable()
export class CachedApiKeyService extends ApiKeyService {
  private readonly cache = new Map<string, CachedPrincipal>();
  /** Key changes heard so far: a lookup that overlapped one is not cached (it may predate the change). */
  private changes = 0;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(API_SECURITY_OPTIONS) private readonly options: ApiSecurityOptions,
    private readonly readModel: ReadModelService,
  ) {
    super(dataSource);
    readModel.onApiKeyChange((keyIds) => this.forget(keyIds));
  }

  private forget(keyIds: readonly string[] | 'all'): void {
    this.changes += 1;
    if (keyIds === 'all') {
      this.cache.clear();
      return;
    }
    const changed = new Set(keyIds);
    for (const [digest, cached] of this.cache) {
      if (changed.has(cached.principal.keyId)) this.cache.delete(digest);
    }
  }

  override async authenticate(authorization: string, nowEpochMs = Date.now()): Promise<Principal | null> {
    const ttlMs = this.options.authenticationCacheTtlMs;
    if (ttlMs <= 0 || !this.readModel.listening) return super.authenticate(authorization, nowEpochMs);
    const digest = authorizationDigest(authorization);
    const cached = this.cache.get(digest);
    if (cached !== undefined && cached.expiresAtMs > nowEpochMs) return cached.principal;
    const changesBefore = this.changes;
    const found = await this.lookUp(authorization, nowEpochMs);
    if (found === null) {
      this.cache.delete(digest);
      return null;
    }
    if (this.changes !== changesBefore) return found.principal;
    if (this.cache.size >= CACHED_KEYS_MAX) this.cache.clear();
    // Never past the key's own expiry: an expiring key is refused on time, cached or not.
    const expiresAtMs = Math.min(nowEpochMs + ttlMs, found.expiresAtMs ?? Number.POSITIVE_INFINITY);
    this.cache.set(digest, { principal: found.principal, expiresAtMs });
    return found.principal;
  }
}
