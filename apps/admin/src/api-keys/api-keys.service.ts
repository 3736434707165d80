import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  ApiKeyEntity,
  ApiKeyError,
  MemberFirmEntity,
  VenueEntity,
  issueApiKey,
  revokeApiKey,
  rotateApiKey,
  type IssuedApiKey,
} from '@novation/persistence';
import type { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { pageOf } from '../reference/dto/page.input.js';
import { ReferenceDataException, fieldException } from '../reference/reference-data.exception.js';
import type { IssueApiKeyInput, ListApiKeysInput } from './dto/api-key.input.js';
import type { ApiKeyModel, ApiKeyPageModel, IssuedApiKeyModel, RotatedApiKeyModel } from './models/api-key.model.js';

/**
 * API keys of member firms, venues and custody, over the key functions of @novation/persistence (the
 * same ones the member API authenticates with). Those functions write the audit rows themselves
 * (api_key.issue, api_key.rotate, api_key.revoke) in the transaction that changes the key; the admin's
 * subject is the actor. A secret exists only in the response that issues it.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async list(input: ListApiKeysInput, nowEpochMs: number): Promise<ApiKeyPageModel> {
    const { limit, offset } = pageOf(input);
    const query = this.dataSource.manager
      .createQueryBuilder(ApiKeyEntity, 'key')
      .orderBy('key.created_at', 'DESC')
      .addOrderBy('key.id', 'ASC')
      .take(limit)
      .skip(offset);
    if (input.role !== undefined) query.andWhere('key.role = :role', { role: input.role });
    if (input.memberFirmId !== undefined) query.andWhere('key.member_firm_id = :firm', { firm: input.memberFirmId });
    if (input.venueId !== undefined) query.andWhere('key.venue_id = :venue', { venue: input.venueId });
    const now = new Date(nowEpochMs);
    switch (input.state) {
      case undefined:
        break;
      case 'revoked':
        query.andWhere('key.revoked_at IS NOT NULL');
        break;
      case 'expired':
        query.andWhere('key.revoked_at IS NULL AND key.expires_at <= :now', { now });
        break;
      case 'active':
        query.andWhere('key.revoked_at IS NULL AND (key.expires_at IS NULL OR key.expires_at > :now)', { now });
        break;
    }
    const [rows, total] = await query.getManyAndCount();
    return { items: rows.map((row) => toApiKeyModel(row, nowEpochMs)), total, limit, offset };
  }

  async get(id: string, nowEpochMs: number): Promise<ApiKeyModel> {
    const row = await this.dataSource.manager.findOneBy(ApiKeyEntity, { id });
    if (row === null) throw new ReferenceDataException('API_KEY_NOT_FOUND', `no API key ${id}`);
    return toApiKeyModel(row, nowEpochMs);
  }

  async issue(actor: AdminPrincipal, input: IssueApiKeyInput, nowEpochMs: number): Promise<IssuedApiKeyModel> {
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
    const issued = await this.dataSource.transaction(async (manager) => {
      if (input.memberFirmId !== undefined && !(await manager.existsBy(MemberFirmEntity, { id: input.memberFirmId }))) {
        throw fieldException('MEMBER_FIRM_NOT_FOUND', 'memberFirmId', 'names no member firm');
      }
      if (input.venueId !== undefined && !(await manager.existsBy(VenueEntity, { id: input.venueId }))) {
        throw fieldException('VENUE_NOT_FOUND', 'venueId', 'names no venue');
      }
      return translated(() =>
        issueApiKey(
          manager,
          {
            role: input.role,
            memberFirmId: input.memberFirmId ?? null,
            venueId: input.venueId ?? null,
            label: input.label,
            expiresAt,
          },
          actor.subject,
          nowEpochMs,
        ),
      );
    });
    return this.issuedModel(issued, nowEpochMs);
  }

  async rotate(
    actor: AdminPrincipal,
    id: string,
    reason: string | undefined,
    nowEpochMs: number,
  ): Promise<RotatedApiKeyModel> {
    const issued = await translated(() => rotateApiKey(this.dataSource, id, actor.subject, nowEpochMs));
    if (reason !== undefined) await this.recordReason(actor, 'api_key.rotate-reason', id, reason);
    return { ...(await this.issuedModel(issued, nowEpochMs)), replacesKeyId: id };
  }

  async revoke(
    actor: AdminPrincipal,
    id: string,
    reason: string | undefined,
    nowEpochMs: number,
  ): Promise<ApiKeyModel> {
    await translated(() => revokeApiKey(this.dataSource, id, actor.subject, nowEpochMs));
    if (reason !== undefined) await this.recordReason(actor, 'api_key.revoke-reason', id, reason);
    return this.get(id, nowEpochMs);
  }

  private async issuedModel(issued: IssuedApiKey, nowEpochMs: number): Promise<IssuedApiKeyModel> {
    return { ...(await this.get(issued.id, nowEpochMs)), key: issued.key };
  }

  private async recordReason(actor: AdminPrincipal, action: string, id: string, reason: string): Promise<void> {
    await this.audit.record({
      actor: actor.subject,
      action,
      subjectType: 'api_key',
      subjectId: id,
      details: { reason },
    });
  }
}

/** The key library's refusals as this service's codes. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof ApiKeyError)) throw error;
    const field = error.field ?? 'request';
    switch (error.code) {
      case 'UNKNOWN_API_KEY':
        throw new ReferenceDataException('API_KEY_NOT_FOUND', error.message);
      case 'INVALID_API_KEY_REQUEST':
        // The only refusal naming the key itself: rotating a revoked or expired key.
        if (field === 'id') throw new ReferenceDataException('API_KEY_NOT_ACTIVE', error.message);
        throw fieldException(
          'INVALID_API_KEY_REQUEST',
          field === 'firm' ? 'memberFirmId' : field === 'venue' ? 'venueId' : field,
          error.message,
        );
    }
  }
}

function toApiKeyModel(row: ApiKeyEntity, nowEpochMs: number): ApiKeyModel {
  const state =
    row.revokedAt !== null
      ? 'revoked'
      : row.expiresAt !== null && row.expiresAt.getTime() <= nowEpochMs
        ? 'expired'
        : 'active';
  return {
    id: row.id,
    prefix: row.prefix,
    role: row.role,
    label: row.label,
    memberFirmId: row.memberFirmId,
    venueId: row.venueId,
    state,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}
