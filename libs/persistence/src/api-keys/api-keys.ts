import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ApiKeyEntity, AuditLogEntity, type ApiKeyRole } from '../entities/governance.entity.js';
import { MemberFirmEntity } from '../entities/membership.entity.js';
import { VenueEntity } from '../entities/reference-data.entity.js';
import { isUuid } from '../margin/transaction.js';
import { ApiKeyError } from './api-key-error.js';

// Plain functions over TypeORM, no Nest: the member API's ApiKeyService and the admin service's key
// endpoints use them, and so does tools/scripts/issue-api-key.mjs (from dist/) to bootstrap keys.

/** `nov_<prefix>_<secret>`: 9 random bytes give a 12-character prefix, 32 bytes a 43-character secret. */
const PREFIX_BYTES = 9;
const SECRET_BYTES = 32;
/** Fixed lengths make the format unambiguous although base64url may itself contain `_`. */
const API_KEY_PATTERN = /^nov_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;
export const API_KEY_LABEL_LENGTH_MAX = 128;
export const API_KEY_ROLES: readonly ApiKeyRole[] = ['member', 'venue', 'custody', 'admin'];

export interface IssueApiKeyRequest {
  readonly role: ApiKeyRole;
  readonly memberFirmId?: string | null;
  readonly venueId?: string | null;
  readonly label: string;
  readonly expiresAt?: Date | null;
}

/** A key as issued: `key` is the only time the plaintext exists outside the caller's hands. */
export interface IssuedApiKey {
  readonly id: string;
  readonly key: string;
  readonly prefix: string;
  readonly role: ApiKeyRole;
  readonly label: string;
  readonly memberFirmId: string | null;
  readonly venueId: string | null;
  readonly expiresAt: Date | null;
}

export interface GeneratedApiKey {
  readonly prefix: string;
  readonly secret: string;
  readonly key: string;
}

export function generateApiKey(): GeneratedApiKey {
  const prefix = randomBytes(PREFIX_BYTES).toString('base64url');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { prefix, secret, key: `nov_${prefix}_${secret}` };
}

/** Hex SHA-256 of the secret: the secret has 256 bits of entropy, so a slow hash adds nothing. */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Splits a key into prefix and secret; null when it is not shaped like a Novation key. */
export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const match = API_KEY_PATTERN.exec(key);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { prefix: match[1], secret: match[2] };
}

/** Constant-time comparison of a presented secret with a stored hash (both hex SHA-256). */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKeySecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

export async function issueApiKey(
  manager: EntityManager,
  request: IssueApiKeyRequest,
  actor: string,
  nowEpochMs: number,
): Promise<IssuedApiKey> {
  assertIssueRequest(request, nowEpochMs);
  const generated = generateApiKey();
  const memberFirmId = request.memberFirmId ?? null;
  const venueId = request.venueId ?? null;
  const expiresAt = request.expiresAt ?? null;
  const inserted = await manager.insert(ApiKeyEntity, {
    prefix: generated.prefix,
    secretHash: hashApiKeySecret(generated.secret),
    role: request.role,
    memberFirmId,
    venueId,
    label: request.label,
    expiresAt,
    revokedAt: null,
    lastUsedAt: null,
  });
  const id = String(inserted.identifiers[0]?.['id']);
  await audit(manager, actor, 'api_key.issue', id, {
    role: request.role,
    label: request.label,
    prefix: generated.prefix,
    memberFirmId,
    venueId,
    expiresAt: expiresAt?.toISOString() ?? null,
  });
  return {
    id,
    key: generated.key,
    prefix: generated.prefix,
    role: request.role,
    label: request.label,
    memberFirmId,
    venueId,
    expiresAt,
  };
}

/** Issues a new key with the same role, scope, label and expiry, and revokes the old one, atomically. */
export async function rotateApiKey(
  dataSource: DataSource,
  keyId: string,
  actor: string,
  nowEpochMs: number,
): Promise<IssuedApiKey> {
  return dataSource.transaction(async (manager) => {
    const old = await activeKey(manager, keyId, nowEpochMs);
    await markRevoked(manager, old.id, nowEpochMs);
    const issued = await issueApiKey(
      manager,
      {
        role: old.role,
        memberFirmId: old.memberFirmId,
        venueId: old.venueId,
        label: old.label,
        expiresAt: old.expiresAt,
      },
      actor,
      nowEpochMs,
    );
    await audit(manager, actor, 'api_key.rotate', old.id, { replacedBy: issued.id });
    return issued;
  });
}

/** Revokes a key at once: the next request presenting it is UNAUTHENTICATED. Idempotent. */
export async function revokeApiKey(
  dataSource: DataSource,
  keyId: string,
  actor: string,
  nowEpochMs: number,
): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const key = await findKey(manager, keyId);
    if (key.revokedAt !== null) return;
    await markRevoked(manager, key.id, nowEpochMs);
    await audit(manager, actor, 'api_key.revoke', key.id, {});
  });
}

export interface IssueApiKeyByCodeRequest {
  readonly role: ApiKeyRole;
  readonly firmCode?: string;
  readonly venueCode?: string;
  readonly label: string;
  readonly expiresAt?: Date | null;
}

/** As `issueApiKey`, naming the member firm or venue by code (what an operator types). */
export async function issueApiKeyByCode(
  dataSource: DataSource,
  request: IssueApiKeyByCodeRequest,
  actor: string,
  nowEpochMs: number,
): Promise<IssuedApiKey> {
  return dataSource.transaction(async (manager) => {
    let memberFirmId: string | null = null;
    let venueId: string | null = null;
    if (request.firmCode !== undefined) {
      const firm = await manager.findOneBy(MemberFirmEntity, { code: request.firmCode });
      if (firm === null) throw new ApiKeyError('INVALID_API_KEY_REQUEST', `no member firm ${request.firmCode}`, 'firm');
      memberFirmId = firm.id;
    }
    if (request.venueCode !== undefined) {
      const venue = await manager.findOneBy(VenueEntity, { code: request.venueCode });
      if (venue === null) throw new ApiKeyError('INVALID_API_KEY_REQUEST', `no venue ${request.venueCode}`, 'venue');
      venueId = venue.id;
    }
    const { role, label } = request;
    return issueApiKey(
      manager,
      { role, label, memberFirmId, venueId, expiresAt: request.expiresAt ?? null },
      actor,
      nowEpochMs,
    );
  });
}

function assertIssueRequest(request: IssueApiKeyRequest, nowEpochMs: number): void {
  const invalid = (message: string, field: string) => new ApiKeyError('INVALID_API_KEY_REQUEST', message, field);
  if (!API_KEY_ROLES.includes(request.role)) throw invalid(`unknown role ${String(request.role)}`, 'role');
  const label = request.label;
  if (typeof label !== 'string' || label.trim().length === 0 || label.length > API_KEY_LABEL_LENGTH_MAX) {
    throw invalid(`label must be 1 to ${API_KEY_LABEL_LENGTH_MAX} characters`, 'label');
  }
  const hasFirm = request.memberFirmId != null;
  const hasVenue = request.venueId != null;
  // The same rule as the api_key table's CHECK constraints, checked first for a readable error.
  if ((request.role === 'member') !== hasFirm)
    throw invalid('a member firm is required exactly for role member', 'firm');
  if ((request.role === 'venue') !== hasVenue) throw invalid('a venue is required exactly for role venue', 'venue');
  const expiresAt = request.expiresAt;
  if (expiresAt != null && !(expiresAt.getTime() > nowEpochMs)) {
    throw invalid('expiresAt must be a valid instant in the future', 'expiresAt');
  }
}

/** The key, row-locked: two rotations of one key serialise, and the second finds it revoked. */
async function findKey(manager: EntityManager, keyId: string): Promise<ApiKeyEntity> {
  const key = isUuid(keyId)
    ? await manager.findOne(ApiKeyEntity, { where: { id: keyId }, lock: { mode: 'pessimistic_write' } })
    : null;
  if (key === null) throw new ApiKeyError('UNKNOWN_API_KEY', 'no such API key', 'id');
  return key;
}

async function activeKey(manager: EntityManager, keyId: string, nowEpochMs: number): Promise<ApiKeyEntity> {
  const key = await findKey(manager, keyId);
  if (key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt.getTime() <= nowEpochMs)) {
    throw new ApiKeyError('INVALID_API_KEY_REQUEST', 'a revoked or expired key cannot be rotated', 'id');
  }
  return key;
}

async function markRevoked(manager: EntityManager, keyId: string, nowEpochMs: number): Promise<void> {
  await manager.update(ApiKeyEntity, { id: keyId }, { revokedAt: new Date(nowEpochMs) });
}

async function audit(
  manager: EntityManager,
  actor: string,
  action: string,
  keyId: string,
  details: Record<string, unknown>,
): Promise<void> {
  await manager.insert(AuditLogEntity, { actor, action, subjectType: 'api_key', subjectId: keyId, details });
}
