import {
  PHASE_IN_STEP_MS,
  RiskParameterSetEntity,
  phaseInStep,
  phaseInWeightText,
  type PhaseInState,
} from '@novation/persistence';
import type { EntityManager } from 'typeorm';
import type { ParameterSetPhaseInModel } from './models/parameter-set.model.js';

const DAY_MS = 24 * PHASE_IN_STEP_MS;

/** The phase-in columns of one risk_parameter_set row (not mapped on the entity: read and written here). */
export interface PhaseInRecord {
  readonly periodMs: number;
  readonly fromId: string;
  readonly fromVersion: string;
}

/** A scheduled phase-in that another governance action would break. */
export interface PendingPhaseIn {
  readonly id: string;
  readonly version: string;
  readonly effectiveFrom: Date;
  readonly fromVersion: string;
}

/** Phase-in columns of the given sets; sets without a phase-in are absent from the map. */
export async function loadPhaseIns(
  manager: EntityManager,
  ids: readonly string[],
): Promise<Map<string, PhaseInRecord>> {
  if (ids.length === 0) return new Map();
  const rows: { id: string; phase_in_ms: string; from_id: string; from_version: string }[] = await manager.query(
    `SELECT s.id, s.phase_in_ms::text AS phase_in_ms, f.id AS from_id, f.version AS from_version
       FROM risk_parameter_set s JOIN risk_parameter_set f ON f.id = s.phase_in_from_id
      WHERE s.id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(
    rows.map((row) => [
      row.id,
      { periodMs: Number(row.phase_in_ms), fromId: row.from_id, fromVersion: row.from_version },
    ]),
  );
}

/** Sets (or clears, with null) the phase-in of a set; the table's CHECK keeps both columns together. */
export async function writePhaseIn(
  manager: EntityManager,
  id: string,
  phaseIn: { readonly periodMs: number; readonly fromId: string } | null,
): Promise<void> {
  await manager.query(`UPDATE risk_parameter_set SET phase_in_ms = $2, phase_in_from_id = $3 WHERE id = $1`, [
    id,
    phaseIn?.periodMs ?? null,
    phaseIn?.fromId ?? null,
  ]);
}

/**
 * The set activeParameterSet would return just before `instantMs` if `excludedId` did not exist: the one a
 * set scheduled at `instantMs` replaces, hence the one it phases in from.
 */
export async function setInForceBefore(
  manager: EntityManager,
  instantMs: number,
  excludedId: string,
): Promise<RiskParameterSetEntity | null> {
  return manager
    .createQueryBuilder(RiskParameterSetEntity, 'set')
    .where(`set.status IN ('active', 'approved')`)
    .andWhere('set.effective_from IS NOT NULL')
    .andWhere('set.effective_from < :instant', { instant: new Date(instantMs) })
    .andWhere('set.id <> :excluded', { excluded: excludedId })
    .orderBy('set.effective_from', 'DESC')
    .addOrderBy('set.created_at', 'DESC')
    .addOrderBy('set.version', 'DESC')
    .limit(1)
    .getOne();
}

/**
 * A phase-in not yet started (approved, effective_from after now) that depends on `setId`: it phases in
 * from `setId`, or (with `scheduledAtMs`) it starts at or after that instant, so a set scheduled then would
 * come between it and the set it phases from. The first such, by start; undefined when none.
 */
export async function pendingPhaseInDependingOn(
  manager: EntityManager,
  setId: string,
  nowEpochMs: number,
  scheduledAtMs?: number,
): Promise<PendingPhaseIn | undefined> {
  const rows: { id: string; version: string; effective_from: Date; from_version: string }[] = await manager.query(
    `SELECT s.id, s.version, s.effective_from, f.version AS from_version
       FROM risk_parameter_set s JOIN risk_parameter_set f ON f.id = s.phase_in_from_id
      WHERE s.status = 'approved' AND s.effective_from > $2 AND s.id <> $1
        AND (s.phase_in_from_id = $1 OR ($3::timestamptz IS NOT NULL AND s.effective_from >= $3::timestamptz))
      ORDER BY s.effective_from, s.version
      LIMIT 1`,
    [setId, new Date(nowEpochMs), scheduledAtMs === undefined ? null : new Date(scheduledAtMs)],
  );
  const [row] = rows;
  return row === undefined
    ? undefined
    : { id: row.id, version: row.version, effectiveFrom: row.effective_from, fromVersion: row.from_version };
}

/** The phase-in as the API shows it at `nowEpochMs`. */
export function phaseInModel(
  version: string,
  effectiveFrom: Date,
  phaseIn: PhaseInRecord,
  nowEpochMs: number,
): ParameterSetPhaseInModel {
  const startMs = effectiveFrom.getTime();
  const step = phaseInStep(startMs, phaseIn.periodMs, nowEpochMs);
  const weight =
    step !== undefined ? phaseInWeightText(step.stepIndex, step.stepCount) : nowEpochMs < startMs ? '0' : '1';
  return {
    fromVersion: phaseIn.fromVersion,
    periodDays: phaseIn.periodMs / DAY_MS,
    endsAt: new Date(startMs + phaseIn.periodMs).toISOString(),
    weight,
    versionNow: step === undefined ? version : `${version}@phase-${weight}`,
  };
}

/** The version of the set itself, whether or not it is being phased in. */
export function setVersionOf(active: { readonly version: string; readonly phaseIn?: PhaseInState }): string {
  return active.phaseIn?.setVersion ?? active.version;
}
