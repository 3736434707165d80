import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  MarginServiceError,
  RiskParameterSetEntity,
  activeParameterSet,
  type ActiveParameterSet,
  type RiskParameterSetStatus,
} from '@novation/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { AdminPrincipal } from '../auth/admin-role.js';
import type { CreateParameterSetInput } from './dto/create-parameter-set.input.js';
import type { ImpactInput } from './dto/impact.input.js';
import type { ListParameterSetsInput } from './dto/list-parameter-sets.input.js';
import type { RollbackInput } from './dto/rollback.input.js';
import type { ParameterSetDiffModel } from './models/parameter-set-diff.model.js';
import type { ParameterSetImpactModel } from './models/parameter-set-impact.model.js';
import type { ParameterSetModel, ParameterSetPageModel } from './models/parameter-set.model.js';
import { acceptedParameterSetBody, parameterSetViolations } from './parameter-bounds.js';
import { diffParameterBodies } from './parameter-diff.js';
import { impactPage } from './parameter-impact.js';
import { ParameterSetException } from './parameter-set.exception.js';

/** Serialises every governance write: two approvals or a schedule racing a rollback never interleave. */
const GOVERNANCE_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('novation:risk_parameter_set'))`;
/** A set may be scheduled at most this far ahead. */
const SCHEDULE_HORIZON_MS = 366 * 24 * 3_600_000;
const DEFAULT_PAGE_SIZE = 20;
const DEFAULT_IMPACT_PAGE_SIZE = 50;
const SUBJECT_TYPE = 'risk_parameter_set';

type ParameterSetUpdate = Partial<
  Pick<RiskParameterSetEntity, 'status' | 'proposedBy' | 'approvedBy' | 'effectiveFrom'>
>;

/**
 * Governance of risk parameter sets: draft -> proposed -> approved (by a second officer) -> scheduled
 * (effectiveFrom set) and in effect once `effectiveFrom <= now`; or rejected. Activation is by time alone:
 * `activeParameterSet` reads sets with status 'active' or 'approved' whose effectiveFrom has passed and
 * takes the latest, so a scheduled set keeps status 'approved' and takes over without any job running;
 * the set it replaces keeps its status (it is simply older). Rollback marks the set in effect
 * 'superseded', which hands control back to the previous one in the same transaction.
 */
@Injectable()
export class ParametersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async create(actor: AdminPrincipal, input: CreateParameterSetInput, nowEpochMs: number): Promise<ParameterSetModel> {
    const violations = parameterSetViolations(input.body);
    if (violations.length > 0) {
      throw new ParameterSetException('INVALID_PARAMETER_SET', `${violations.length} violation(s)`, violations);
    }
    const body = acceptedParameterSetBody(input.body, input.version);
    return this.dataSource.transaction(async (manager) => {
      await manager.query(GOVERNANCE_LOCK_SQL);
      if ((await manager.findOneBy(RiskParameterSetEntity, { version: input.version })) !== null) {
        throw new ParameterSetException('VERSION_TAKEN', `version ${input.version} exists`);
      }
      if (
        input.basedOn !== undefined &&
        (await manager.findOneBy(RiskParameterSetEntity, { version: input.basedOn })) === null
      ) {
        throw new ParameterSetException('PARAMETER_SET_NOT_FOUND', `no parameter set ${input.basedOn} to base on`);
      }
      const inserted = await manager.insert(RiskParameterSetEntity, { version: input.version, status: 'draft', body });
      const id = String(inserted.identifiers[0]?.['id']);
      const active = await inEffect(manager, nowEpochMs);
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'parameter-set.created',
          subjectType: SUBJECT_TYPE,
          subjectId: id,
          details: {
            version: input.version,
            basedOn: input.basedOn ?? null,
            status: { from: null, to: 'draft' },
            againstVersion: active?.version ?? null,
            parameterChanges: diffParameterBodies(active?.body ?? {}, body),
          },
        },
        manager,
      );
      return toModel(await manager.findOneByOrFail(RiskParameterSetEntity, { id }), active?.id);
    });
  }

  async list(input: ListParameterSetsInput, nowEpochMs: number): Promise<ParameterSetPageModel> {
    const limit = input.limit ?? DEFAULT_PAGE_SIZE;
    const offset = input.offset ?? 0;
    const [rows, total] = await this.dataSource.manager.findAndCount(RiskParameterSetEntity, {
      where: input.status === undefined ? {} : { status: input.status },
      order: { createdAt: 'DESC', version: 'DESC' },
      take: limit,
      skip: offset,
    });
    const active = await inEffect(this.dataSource.manager, nowEpochMs);
    return { items: rows.map((row) => toModel(row, active?.id)), total, limit, offset };
  }

  async get(id: string, nowEpochMs: number): Promise<ParameterSetModel> {
    const row = await findOrThrow(this.dataSource.manager, id);
    return toModel(row, (await inEffect(this.dataSource.manager, nowEpochMs))?.id);
  }

  async diff(id: string, nowEpochMs: number): Promise<ParameterSetDiffModel> {
    const row = await findOrThrow(this.dataSource.manager, id);
    const active = await inEffectOrThrow(this.dataSource.manager, nowEpochMs);
    return { version: row.version, activeVersion: active.version, ...diffParameterBodies(active.body, row.body) };
  }

  async propose(
    actor: AdminPrincipal,
    id: string,
    comment: string | undefined,
    nowEpochMs: number,
  ): Promise<ParameterSetModel> {
    return this.transition(actor, id, ['draft'], 'parameter-set.proposed', { comment, nowEpochMs }, (row) => {
      // Bounds may have tightened since the draft was written: a proposal is checked again.
      const violations = parameterSetViolations(row.body);
      if (violations.length > 0) {
        throw new ParameterSetException('INVALID_PARAMETER_SET', `${violations.length} violation(s)`, violations);
      }
      return { status: 'proposed', proposedBy: actor.subject };
    });
  }

  async approve(
    actor: AdminPrincipal,
    id: string,
    comment: string | undefined,
    nowEpochMs: number,
  ): Promise<ParameterSetModel> {
    return this.transition(actor, id, ['proposed'], 'parameter-set.approved', { comment, nowEpochMs }, async (row) => {
      if (row.proposedBy === actor.subject) {
        // Recorded on its own connection: the transaction is about to roll back, the attempt must not.
        await this.audit.record({
          actor: actor.subject,
          action: 'parameter-set.approval-refused',
          subjectType: SUBJECT_TYPE,
          subjectId: row.id,
          details: { version: row.version, reason: 'FOUR_EYES_VIOLATION', proposedBy: row.proposedBy },
        });
        throw new ParameterSetException('FOUR_EYES_VIOLATION', 'the proposer of a set cannot approve it');
      }
      return { status: 'approved', approvedBy: actor.subject };
    });
  }

  async reject(
    actor: AdminPrincipal,
    id: string,
    comment: string | undefined,
    nowEpochMs: number,
  ): Promise<ParameterSetModel> {
    return this.transition(actor, id, ['draft', 'proposed'], 'parameter-set.rejected', { comment, nowEpochMs }, () => ({
      status: 'rejected',
    }));
  }

  async schedule(
    actor: AdminPrincipal,
    id: string,
    effectiveFromText: string,
    nowEpochMs: number,
  ): Promise<ParameterSetModel> {
    const effectiveFrom = new Date(effectiveFromText);
    const effectiveFromMs = effectiveFrom.getTime();
    if (
      !Number.isFinite(effectiveFromMs) ||
      effectiveFromMs < nowEpochMs ||
      effectiveFromMs > nowEpochMs + SCHEDULE_HORIZON_MS
    ) {
      throw new ParameterSetException('INVALID_EFFECTIVE_FROM', 'effectiveFrom must be between now and a year ahead', [
        { field: 'effectiveFrom', message: 'not in the past, at most 366 days ahead' },
      ]);
    }
    return this.transition(
      actor,
      id,
      ['approved'],
      'parameter-set.scheduled',
      { comment: undefined, nowEpochMs },
      (row) => {
        if (row.effectiveFrom !== null && row.effectiveFrom.getTime() <= nowEpochMs) {
          throw new ParameterSetException('INVALID_TRANSITION', `${row.version} is already in effect`);
        }
        return { effectiveFrom };
      },
    );
  }

  async rollback(actor: AdminPrincipal, input: RollbackInput, nowEpochMs: number): Promise<ParameterSetModel> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(GOVERNANCE_LOCK_SQL);
      const current = await inEffectOrThrow(manager, nowEpochMs);
      if (input.expectedCurrentVersion !== undefined && input.expectedCurrentVersion !== current.version) {
        throw new ParameterSetException(
          'ROLLBACK_CONFLICT',
          `${current.version} is in effect, not ${input.expectedCurrentVersion}`,
        );
      }
      const previous = await manager
        .createQueryBuilder(RiskParameterSetEntity, 'set')
        .where(`set.status IN ('active', 'approved')`)
        .andWhere('set.effective_from IS NOT NULL')
        .andWhere('set.effective_from <= :now', { now: new Date(nowEpochMs) })
        .andWhere('set.id <> :current', { current: current.id })
        .orderBy('set.effective_from', 'DESC')
        .addOrderBy('set.created_at', 'DESC')
        .addOrderBy('set.version', 'DESC')
        .limit(1)
        .getOne();
      if (previous === null) throw new ParameterSetException('NOTHING_TO_ROLL_BACK', 'no earlier set to return to');
      const withdrawn = await findOrThrow(manager, current.id);
      await manager.update(RiskParameterSetEntity, { id: current.id }, { status: 'superseded' });
      const reinstated = await inEffectOrThrow(manager, nowEpochMs);
      if (reinstated.id !== previous.id) {
        // Invariant: the query above is activeParameterSet's without the withdrawn set.
        throw new Error(`rollback reinstated ${reinstated.version}, not ${previous.version}`);
      }
      await this.audit.record(
        {
          actor: actor.subject,
          action: 'parameter-set.rolled-back',
          subjectType: SUBJECT_TYPE,
          subjectId: current.id,
          details: {
            reason: input.reason,
            withdrawnVersion: current.version,
            reinstatedVersion: previous.version,
            changes: { status: { from: withdrawn.status, to: 'superseded' } },
            parameterChanges: diffParameterBodies(current.body, reinstated.body),
          },
        },
        manager,
      );
      return toModel(previous, previous.id);
    });
  }

  async impact(id: string, input: ImpactInput, nowEpochMs: number): Promise<ParameterSetImpactModel> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const row = await findOrThrow(manager, id);
      const active = await inEffectOrThrow(manager, nowEpochMs);
      const draft: ActiveParameterSet = {
        id: row.id,
        version: row.version,
        effectiveFrom: new Date(nowEpochMs),
        body: acceptedParameterSetBody(row.body, row.version),
      };
      return impactPage(manager, {
        draft,
        active,
        nowEpochMs,
        limit: input.limit ?? DEFAULT_IMPACT_PAGE_SIZE,
        cursor: input.cursor,
      });
    });
  }

  /** Locks, checks the current status, applies `change` and records actor, action and the diff. */
  private async transition(
    actor: AdminPrincipal,
    id: string,
    from: readonly RiskParameterSetStatus[],
    action: string,
    context: { readonly comment: string | undefined; readonly nowEpochMs: number },
    change: (row: RiskParameterSetEntity) => ParameterSetUpdate | Promise<ParameterSetUpdate>,
  ): Promise<ParameterSetModel> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(GOVERNANCE_LOCK_SQL);
      const row = await findOrThrow(manager, id);
      if (!from.includes(row.status)) {
        throw new ParameterSetException(
          'INVALID_TRANSITION',
          `${row.version} is ${row.status}, expected ${from.join(' or ')}`,
        );
      }
      const update = await change(row);
      await manager.update(RiskParameterSetEntity, { id }, update);
      const changes = Object.fromEntries(
        Object.entries(update).map(([field, value]) => [
          field,
          { from: jsonValue(row[field as keyof typeof update]), to: jsonValue(value) },
        ]),
      );
      await this.audit.record(
        {
          actor: actor.subject,
          action,
          subjectType: SUBJECT_TYPE,
          subjectId: id,
          details: {
            version: row.version,
            changes,
            ...(context.comment === undefined ? {} : { comment: context.comment }),
          },
        },
        manager,
      );
      const updated = await manager.findOneByOrFail(RiskParameterSetEntity, { id });
      return toModel(updated, (await inEffect(manager, context.nowEpochMs))?.id);
    });
  }
}

async function findOrThrow(manager: EntityManager, id: string): Promise<RiskParameterSetEntity> {
  const row = await manager.findOneBy(RiskParameterSetEntity, { id });
  if (row === null) throw new ParameterSetException('PARAMETER_SET_NOT_FOUND', `no parameter set ${id}`);
  return row;
}

/** The set in effect at now, or undefined when none is. */
async function inEffect(manager: EntityManager, nowEpochMs: number): Promise<ActiveParameterSet | undefined> {
  try {
    return await activeParameterSet(manager, nowEpochMs);
  } catch (error) {
    if (error instanceof MarginServiceError && error.code === 'NO_ACTIVE_PARAMETER_SET') return undefined;
    throw error;
  }
}

async function inEffectOrThrow(manager: EntityManager, nowEpochMs: number): Promise<ActiveParameterSet> {
  const active = await inEffect(manager, nowEpochMs);
  if (active === undefined) throw new ParameterSetException('NO_ACTIVE_PARAMETER_SET', 'no parameter set is in effect');
  return active;
}

function jsonValue(value: unknown): unknown {
  return value instanceof Date ? value.toISOString() : (value ?? null);
}

function toModel(row: RiskParameterSetEntity, inEffectId: string | undefined): ParameterSetModel {
  return {
    id: row.id,
    version: row.version,
    status: row.status,
    inEffect: row.id === inEffectId,
    effectiveFrom: row.effectiveFrom?.toISOString() ?? null,
    proposedBy: row.proposedBy,
    approvedBy: row.approvedBy,
    createdAt: row.createdAt.toISOString(),
    body: row.body,
  };
}
