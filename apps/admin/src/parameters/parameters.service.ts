import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  MarginServiceError,
  PHASE_IN_LABEL_SUFFIX_LENGTH_MAX,
  PHASE_IN_STEP_MS,
  RiskParameterSetEntity,
  activeParameterSet,
  phaseInParameterBody,
  phaseInViolations,
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
import type { ScheduleParameterSetInput } from './dto/schedule-parameter-set.input.js';
import type { ParameterSetDiffModel } from './models/parameter-set-diff.model.js';
import type { ParameterSetImpactModel } from './models/parameter-set-impact.model.js';
import type { ParameterSetModel, ParameterSetPageModel } from './models/parameter-set.model.js';
import { acceptedParameterSetBody, parameterSetViolations } from './parameter-bounds.js';
import { diffParameterBodies } from './parameter-diff.js';
import { impactPage } from './parameter-impact.js';
import {
  loadPhaseIns,
  pendingPhaseInDependingOn,
  phaseInModel,
  setInForceBefore,
  setVersionOf,
  writePhaseIn,
  type PhaseInRecord,
} from './parameter-phase-in.queries.js';
import { ParameterSetException } from './parameter-set.exception.js';

/** Serialises every governance write: two approvals or a schedule racing a rollback never interleave. */
const GOVERNANCE_LOCK_SQL = `SELECT pg_advisory_xact_lock(hashtext('novation:risk_parameter_set'))`;
/** A set may be scheduled at most this far ahead. */
const SCHEDULE_HORIZON_MS = 366 * 24 * 3_600_000;
const DEFAULT_PAGE_SIZE = 20;
const DEFAULT_IMPACT_PAGE_SIZE = 50;
const SUBJECT_TYPE = 'risk_parameter_set';
/** risk_parameter_set.version and margin_receipt.parameter_set_version are varchar(64). */
const VERSION_LENGTH_MAX = 64;

type ParameterSetUpdate = Partial<
  Pick<RiskParameterSetEntity, 'status' | 'proposedBy' | 'approvedBy' | 'effectiveFrom'>
> & {
  /** The phase-in columns (not on the entity): a new phase-in, null to clear it, absent to leave it. */
  readonly phaseIn?: (PhaseInRecord & { readonly fromBody: unknown }) | null;
};

/**
 * Governance of risk parameter sets: draft -> proposed -> approved (by a second officer) -> scheduled
 * (effectiveFrom set) and in effect once `effectiveFrom <= now`; or rejected. Activation is by time alone:
 * `activeParameterSet` reads sets with status 'active' or 'approved' whose effectiveFrom has passed and
 * takes the latest, so a scheduled set keeps status 'approved' and takes over without any job running;
 * the set it replaces keeps its status (it is simply older). Rollback marks the set in effect
 * 'superseded', which hands control back to the previous one in the same transaction.
 *
 * A schedule may carry a linear phase-in (libs/persistence/src/margin/parameter-phase-in.ts) from the set in
 * force just before effectiveFrom, fixed at scheduling. To keep that set the one actually in force then,
 * while a phase-in waits to start nothing may be scheduled at or before its start, and the set it phases
 * from can be neither cancelled, rescheduled nor rolled back (PHASE_IN_CONFLICT: cancel the phase-in
 * first); phase-ins never overlap. Cancelling a schedule before it takes effect returns the set to
 * approved and unscheduled (it can be scheduled again without a new approval: the approval is of the
 * body, not of the date); once in effect it is ALREADY_IN_EFFECT, and rollback is the way back.
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
      return toModel(await manager.findOneByOrFail(RiskParameterSetEntity, { id }), active?.id, undefined, nowEpochMs);
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
    const phaseIns = await loadPhaseIns(
      this.dataSource.manager,
      rows.map((row) => row.id),
    );
    return {
      items: rows.map((row) => toModel(row, active?.id, phaseIns.get(row.id), nowEpochMs)),
      total,
      limit,
      offset,
    };
  }

  async get(id: string, nowEpochMs: number): Promise<ParameterSetModel> {
    const row = await findOrThrow(this.dataSource.manager, id);
    const phaseIn = (await loadPhaseIns(this.dataSource.manager, [id])).get(id);
    return toModel(row, (await inEffect(this.dataSource.manager, nowEpochMs))?.id, phaseIn, nowEpochMs);
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
    input: Pick<ScheduleParameterSetInput, 'effectiveFrom' | 'phaseInDays'>,
    nowEpochMs: number,
  ): Promise<ParameterSetModel> {
    const effectiveFrom = new Date(input.effectiveFrom);
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
      async (row, manager) => {
        if (row.effectiveFrom !== null && row.effectiveFrom.getTime() <= nowEpochMs) {
          throw new ParameterSetException('INVALID_TRANSITION', `${row.version} is already in effect`);
        }
        const pending = await pendingPhaseInDependingOn(manager, row.id, nowEpochMs, effectiveFromMs);
        if (pending !== undefined) throw phaseInConflict(pending, `scheduling ${row.version} then`);
        if (input.phaseInDays === undefined) return { effectiveFrom, phaseIn: null };
        return { effectiveFrom, phaseIn: await this.phaseInFor(manager, row, effectiveFromMs, input.phaseInDays) };
      },
    );
  }

  /**
   * Cancels the schedule of an approved set before it takes effect: it is approved and unscheduled again
   * (its phase-in cleared). In effect (effectiveFrom <= now) is ALREADY_IN_EFFECT: rollback withdraws it.
   */
  async cancel(
    actor: AdminPrincipal,
    id: string,
    comment: string | undefined,
    nowEpochMs: number,
  ): Promise<ParameterSetModel> {
    return this.transition(
      actor,
      id,
      ['approved'],
      'parameter-set.schedule-cancelled',
      { comment, nowEpochMs },
      async (row, manager) => {
        if (row.effectiveFrom === null) {
          throw new ParameterSetException('INVALID_TRANSITION', `${row.version} is not scheduled`);
        }
        if (row.effectiveFrom.getTime() <= nowEpochMs) {
          throw new ParameterSetException(
            'ALREADY_IN_EFFECT',
            `${row.version} took effect at ${row.effectiveFrom.toISOString()}: roll it back instead`,
          );
        }
        const pending = await pendingPhaseInDependingOn(manager, row.id, nowEpochMs);
        if (pending !== undefined) throw phaseInConflict(pending, `cancelling ${row.version}`);
        return { effectiveFrom: null, phaseIn: null };
      },
    );
  }

  /** The phase-in of `row` from the set in force just before `effectiveFromMs`, or why there is none. */
  private async phaseInFor(
    manager: EntityManager,
    row: RiskParameterSetEntity,
    effectiveFromMs: number,
    phaseInDays: number,
  ): Promise<PhaseInRecord & { readonly fromBody: unknown }> {
    if (row.version.length + PHASE_IN_LABEL_SUFFIX_LENGTH_MAX > VERSION_LENGTH_MAX) {
      throw new ParameterSetException('INVALID_REQUEST', `${row.version} is too long to label phase-in steps`, [
        {
          field: 'phaseInDays',
          message: `a phased set's version has at most ${VERSION_LENGTH_MAX - PHASE_IN_LABEL_SUFFIX_LENGTH_MAX} characters`,
        },
      ]);
    }
    const from = await setInForceBefore(manager, effectiveFromMs, row.id);
    if (from === null || from.effectiveFrom === null) {
      throw new ParameterSetException('PHASE_IN_CONFLICT', 'no set is in force before effectiveFrom to phase in from');
    }
    const fromPhaseIn = (await loadPhaseIns(manager, [from.id])).get(from.id);
    if (fromPhaseIn !== undefined && from.effectiveFrom.getTime() + fromPhaseIn.periodMs > effectiveFromMs) {
      throw new ParameterSetException(
        'PHASE_IN_CONFLICT',
        `${from.version} is still phasing in at effectiveFrom: phase-ins must not overlap`,
      );
    }
    const fromBody = acceptedParameterSetBody(from.body, from.version);
    const violations = phaseInViolations(fromBody, acceptedParameterSetBody(row.body, row.version));
    if (violations.length > 0) {
      throw new ParameterSetException(
        'PHASE_IN_STRUCTURE_MISMATCH',
        `${row.version} cannot be phased in from ${from.version}: ${violations.length} difference(s)`,
        violations,
      );
    }
    return { periodMs: phaseInDays * 24 * PHASE_IN_STEP_MS, fromId: from.id, fromVersion: from.version, fromBody };
  }

  async rollback(actor: AdminPrincipal, input: RollbackInput, nowEpochMs: number): Promise<ParameterSetModel> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(GOVERNANCE_LOCK_SQL);
      const current = await inEffectOrThrow(manager, nowEpochMs);
      const currentVersion = setVersionOf(current);
      if (input.expectedCurrentVersion !== undefined && input.expectedCurrentVersion !== currentVersion) {
        throw new ParameterSetException(
          'ROLLBACK_CONFLICT',
          `${currentVersion} is in effect, not ${input.expectedCurrentVersion}`,
        );
      }
      const pending = await pendingPhaseInDependingOn(manager, current.id, nowEpochMs);
      if (pending !== undefined) throw phaseInConflict(pending, `withdrawing ${currentVersion}`);
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
            withdrawnVersion: currentVersion,
            reinstatedVersion: previous.version,
            ...(current.phaseIn === undefined ? {} : { withdrawnMidPhaseIn: current.version }),
            changes: { status: { from: withdrawn.status, to: 'superseded' } },
            parameterChanges: diffParameterBodies(current.body, reinstated.body),
          },
        },
        manager,
      );
      return toModel(previous, previous.id, (await loadPhaseIns(manager, [previous.id])).get(previous.id), nowEpochMs);
    });
  }

  async impact(id: string, input: ImpactInput, nowEpochMs: number): Promise<ParameterSetImpactModel> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const row = await findOrThrow(manager, id);
      const active = await inEffectOrThrow(manager, nowEpochMs);
      const draft = await previewedSet(manager, row, input.at, nowEpochMs);
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
    change: (row: RiskParameterSetEntity, manager: EntityManager) => ParameterSetUpdate | Promise<ParameterSetUpdate>,
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
      const { phaseIn, ...columns } = await change(row, manager);
      const phaseInBefore = (await loadPhaseIns(manager, [id])).get(id);
      // The phase-in CHECK needs effective_from while a phase-in is set: clear it first, set it last.
      if (phaseIn === null) await writePhaseIn(manager, id, null);
      if (Object.keys(columns).length > 0) await manager.update(RiskParameterSetEntity, { id }, columns);
      if (phaseIn !== undefined && phaseIn !== null) await writePhaseIn(manager, id, phaseIn);
      const changes = Object.fromEntries(
        Object.entries(columns).map(([field, value]) => [
          field,
          { from: jsonValue(row[field as keyof typeof columns]), to: jsonValue(value) },
        ]),
      );
      if (phaseIn !== undefined && (phaseIn !== null || phaseInBefore !== undefined)) {
        changes['phaseIn'] = { from: phaseInAudit(phaseInBefore), to: phaseInAudit(phaseIn ?? undefined) };
      }
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
            // What the phase-in moves, from the set it starts from to this one.
            ...(phaseIn === undefined || phaseIn === null
              ? {}
              : { parameterChanges: diffParameterBodies(phaseIn.fromBody, row.body) }),
          },
        },
        manager,
      );
      const updated = await manager.findOneByOrFail(RiskParameterSetEntity, { id });
      const phaseInAfter = (await loadPhaseIns(manager, [id])).get(id);
      return toModel(updated, (await inEffect(manager, context.nowEpochMs))?.id, phaseInAfter, context.nowEpochMs);
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

/**
 * The set as the impact preview applies it: its own body, or at `atText` the body in force then (during
 * its phase-in, interpolated from the set it phases from and labelled `<version>@phase-<w>`).
 */
async function previewedSet(
  manager: EntityManager,
  row: RiskParameterSetEntity,
  atText: string | undefined,
  nowEpochMs: number,
): Promise<ActiveParameterSet> {
  const body = acceptedParameterSetBody(row.body, row.version);
  const own: ActiveParameterSet = { id: row.id, version: row.version, effectiveFrom: new Date(nowEpochMs), body };
  const phaseIn = (await loadPhaseIns(manager, [row.id])).get(row.id);
  if (atText === undefined || phaseIn === undefined || row.effectiveFrom === null) return own;
  const from = await findOrThrow(manager, phaseIn.fromId);
  const phased = phaseInParameterBody(
    {
      version: row.version,
      body,
      effectiveFromMs: row.effectiveFrom.getTime(),
      periodMs: phaseIn.periodMs,
      fromVersion: from.version,
      fromBody: acceptedParameterSetBody(from.body, from.version),
    },
    new Date(atText).getTime(),
  );
  return { ...own, version: phased.version, body: acceptedParameterSetBody(phased.body, phased.version) };
}

function phaseInConflict(
  pending: { readonly version: string; readonly effectiveFrom: Date; readonly fromVersion: string },
  action: string,
): ParameterSetException {
  return new ParameterSetException(
    'PHASE_IN_CONFLICT',
    `${pending.version} phases in from ${pending.fromVersion} at ${pending.effectiveFrom.toISOString()}; ` +
      `${action} would change the set it starts from: cancel its schedule first`,
  );
}

function phaseInAudit(phaseIn: PhaseInRecord | undefined): unknown {
  return phaseIn === undefined
    ? null
    : { periodDays: phaseIn.periodMs / (24 * PHASE_IN_STEP_MS), fromVersion: phaseIn.fromVersion };
}

function toModel(
  row: RiskParameterSetEntity,
  inEffectId: string | undefined,
  phaseIn: PhaseInRecord | undefined,
  nowEpochMs: number,
): ParameterSetModel {
  return {
    id: row.id,
    version: row.version,
    status: row.status,
    inEffect: row.id === inEffectId,
    effectiveFrom: row.effectiveFrom?.toISOString() ?? null,
    phaseIn:
      phaseIn === undefined || row.effectiveFrom === null
        ? null
        : phaseInModel(row.version, row.effectiveFrom, phaseIn, nowEpochMs),
    proposedBy: row.proposedBy,
    approvedBy: row.approvedBy,
    createdAt: row.createdAt.toISOString(),
    body: row.body,
  };
}
