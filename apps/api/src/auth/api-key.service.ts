import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ApiKeyEntity,
  ApiKeyError,
  MemberFirmEntity,
  hashApiKeySecret,
  issueApiKey,
  parseApiKey,
  revokeApiKey,
  rotateApiKey,
  secretMatches,
  type IssueApiKeyRequest,
  type IssuedApiKey,
} from '@novation/persistence';
import { DataSource } from 'typeorm';
import { AuthException } from './auth.exception.js';
import type { Me } from './models/me.model.js';
import type { Principal } from './principal.js';

/** last_used_at is written at most once per key per this interval: not one write per request. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;
/** Bound on the in-memory map of last writes; cleared when full (at worst one extra write per key). */
const LAST_USED_KEYS_MAX = 10_000;
/** Longest Authorization header read: a Novation key is 61 characters after "Bearer ". */
const AUTHORIZATION_LENGTH_MAX = 256;
/** Compared against when no key has the prefix, so a miss costs the same hashing as a hit. */
const ABSENT_KEY_HASH = hashApiKeySecret('absent');

@Injectable()
export class ApiKeyService {
  private readonly lastUsedWrites = new Map<string, number>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Issues a key; the returned plaintext is never stored and cannot be shown again. */
  issue(request: IssueApiKeyRequest, actor = 'system', nowEpochMs = Date.now()): Promise<IssuedApiKey> {
    return asAuthErrors(this.dataSource.transaction((manager) => issueApiKey(manager, request, actor, nowEpochMs)));
  }

  rotate(keyId: string, actor = 'system', nowEpochMs = Date.now()): Promise<IssuedApiKey> {
    return asAuthErrors(rotateApiKey(this.dataSource, keyId, actor, nowEpochMs));
  }

  revoke(keyId: string, actor = 'system', nowEpochMs = Date.now()): Promise<void> {
    return asAuthErrors(revokeApiKey(this.dataSource, keyId, actor, nowEpochMs));
  }

  /**
   * The principal of an `Authorization: Bearer nov_...` header, or null when the header is not a
   * Novation key, names no key, or names a revoked or expired one (the caller cannot tell which).
   */
  async authenticate(authorization: string, nowEpochMs = Date.now()): Promise<Principal | null> {
    return (await this.lookUp(authorization, nowEpochMs))?.principal ?? null;
  }

  /** authenticate, with the key's expiry (null: none) for a caller that keeps the answer. */
  protected async lookUp(
    authorization: string,
    nowEpochMs: number,
  ): Promise<{ readonly principal: Principal; readonly expiresAtMs: number | null } | null> {
    if (authorization.length > AUTHORIZATION_LENGTH_MAX) return null;
    const match = /^Bearer ([^\s]+)$/i.exec(authorization.trim());
    const parsed = match?.[1] === undefined ? null : parseApiKey(match[1]);
    if (parsed === null) return null;
    const key = await this.dataSource.manager.findOneBy(ApiKeyEntity, { prefix: parsed.prefix });
    const matches = secretMatches(parsed.secret, key?.secretHash ?? ABSENT_KEY_HASH);
    if (key === null || !matches || key.revokedAt !== null) return null;
    if (key.expiresAt !== null && key.expiresAt.getTime() <= nowEpochMs) return null;
    await this.touchLastUsed(key.id, nowEpochMs);
    return {
      principal: {
        keyId: key.id,
        role: key.role,
        label: key.label,
        memberFirmId: key.memberFirmId,
        venueId: key.venueId,
      },
      expiresAtMs: key.expiresAt?.getTime() ?? null,
    };
  }

  /** The calling member firm and key. */
  async me(principal: Principal): Promise<Me> {
    const firm =
      principal.memberFirmId === null
        ? null
        : await this.dataSource.manager.findOneBy(MemberFirmEntity, { id: principal.memberFirmId });
    if (firm === null) throw new AuthException('FORBIDDEN', 'this API key belongs to no member firm');
    return {
      firm: { id: firm.id, code: firm.code, name: firm.name },
      key: { id: principal.keyId, label: principal.label, role: principal.role },
    };
  }

  /**
   * Records use at most once per interval per key: an in-memory check first (no write at all), then a
   * conditional UPDATE so several API instances together still write about once per interval.
   */
  private async touchLastUsed(keyId: string, nowEpochMs: number): Promise<void> {
    const lastWrite = this.lastUsedWrites.get(keyId);
    if (lastWrite !== undefined && nowEpochMs - lastWrite < LAST_USED_WRITE_INTERVAL_MS) return;
    if (this.lastUsedWrites.size >= LAST_USED_KEYS_MAX) this.lastUsedWrites.clear();
    this.lastUsedWrites.set(keyId, nowEpochMs);
    const now = new Date(nowEpochMs);
    await this.dataSource
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ lastUsedAt: now })
      .where('id = :keyId AND (last_used_at IS NULL OR last_used_at <= :threshold)', {
        keyId,
        threshold: new Date(nowEpochMs - LAST_USED_WRITE_INTERVAL_MS),
      })
      .execute();
  }
}

/** The key functions live in @novation/persistence; their refusals become this API's AuthException once, here. */
async function asAuthErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ApiKeyError) throw new AuthException(error.code, error.message, error.field);
    throw error;
  }
}
