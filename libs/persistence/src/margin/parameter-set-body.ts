import { MARGIN_MODELS, marginParametersSchema } from '@novation/risk';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { RiskParameterSetEntity } from '../entities/margin.entity.js';
import { MarginServiceError, assertEpochMs } from './margin-service-error.js';
import { phaseInParameterBody, type PhaseInState } from './parameter-phase-in.js';

const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/);
const marginModel = z.enum(MARGIN_MODELS);

/** A decimal fraction as a string, e.g. '0.01' (never a JS number: it prices money). */
const fraction = z.string().regex(/^(0|1)(\.[0-9]{1,8})?$/);

/**
 * Liquidation parameters: the price concession charged to the liquidated account (to the insurance fund),
 * the largest fraction of each position one step closes, the pause between two steps, who covers a
 * deficit beyond the insurance fund, and how fresh a price collateral conversion needs.
 */
export const liquidationParametersSchema = z.strictObject({
  /** Execution price = mark x (1 -/+ penalty); in [0, 0.2]. */
  penaltyFraction: fraction.refine((value) => Number(value) <= 0.2, 'must be at most 0.2'),
  /** In (0, 1]. */
  maxSliceFraction: fraction.refine((value) => Number(value) > 0 && Number(value) <= 1, 'must be in (0, 1]'),
  /** Cool-down between two slices of one liquidation; at most an hour. */
  coolDownMs: z.number().int().nonnegative().max(3_600_000),
  deficitMode: z.enum(['auto-deleveraging', 'default-waterfall']),
  /**
   * Oldest index price a collateral conversion may use (libs/persistence/src/liquidation/convert-collateral.ts):
   * past it nothing is converted at a guess and the account waits for an operator; at most a day. Bodies
   * stored before it existed get 5 minutes, the API's staleness bound for published prices.
   */
  conversionPriceAgeMsMax: z.number().int().positive().max(86_400_000).default(300_000),
});

export type LiquidationParameters = z.infer<typeof liquidationParametersSchema>;

export const DEFAULT_LIQUIDATION_PARAMETERS: LiquidationParameters = {
  penaltyFraction: '0.01',
  maxSliceFraction: '0.5',
  coolDownMs: 1_000,
  deficitMode: 'default-waterfall',
  conversionPriceAgeMsMax: 300_000,
};

/**
 * The validated body of a `risk_parameter_set` row: the `parameters` block of a margin request, the
 * model per account kind, how assets are priced, the risk-free rate and the margin-call deadline.
 */
export const parameterSetBodySchema = z.strictObject({
  models: z.strictObject({ cross: marginModel, isolated: marginModel, portfolio: marginModel }),
  parameters: marginParametersSchema,
  /**
   * Underlying index that prices each asset in USD, e.g. BTC -> 'BTC-USD'. The price of asset A in margin
   * asset M is usd(A) / usd(M); assets listed in `usdAssets` are worth exactly 1 USD.
   */
  assetIndex: z.record(identifier, identifier),
  /** Assets valued at exactly 1 USD (e.g. USDC). An asset neither here nor in assetIndex has no price. */
  usdAssets: z.array(identifier).max(100).default([]),
  /** Continuously compounded, per year. */
  riskFreeRate: z.number().gt(-1).lt(1),
  /** How a breach is liquidated (libs/persistence/src/liquidation); defaults for bodies stored before it. */
  liquidation: liquidationParametersSchema.default(DEFAULT_LIQUIDATION_PARAMETERS),
  marginCall: z.strictObject({
    deadlineMs: z
      .number()
      .int()
      .positive()
      .max(30 * 24 * 3_600_000),
  }),
});

export type ParameterSetBody = z.infer<typeof parameterSetBodySchema>;

export interface ActiveParameterSet {
  readonly id: string;
  readonly version: string;
  readonly effectiveFrom: Date;
  readonly body: ParameterSetBody;
  /** Set while the set is being phased in: `version` is then `<set version>@phase-<w>`, `body` interpolated. */
  readonly phaseIn?: PhaseInState;
}

/** Parses a stored body; a body that does not match the schema is INVALID_PARAMETER_SET (never guessed). */
export function parseParameterSetBody(raw: unknown, version = '(unsaved)'): ParameterSetBody {
  const parsed = parameterSetBodySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const field = issue?.path.map(String).join('.') ?? '';
  throw new MarginServiceError(
    'INVALID_PARAMETER_SET',
    `parameter set ${version}: ${issue?.message ?? 'invalid body'}${field === '' ? '' : ` at ${field}`}`,
    field,
  );
}

/**
 * The parameter set in force at `nowEpochMs`: the latest (by effectiveFrom, then creation) set whose status
 * is 'active' or 'approved' and whose effectiveFrom is not after now. None is NO_ACTIVE_PARAMETER_SET.
 */
export async function activeParameterSet(manager: EntityManager, nowEpochMs: number): Promise<ActiveParameterSet> {
  assertEpochMs(nowEpochMs);
  const row = await manager
    .createQueryBuilder(RiskParameterSetEntity, 'set')
    .where(`set.status IN ('active', 'approved')`)
    .andWhere('set.effective_from IS NOT NULL')
    .andWhere('set.effective_from <= :now', { now: new Date(nowEpochMs) })
    .orderBy('set.effective_from', 'DESC')
    .addOrderBy('set.created_at', 'DESC')
    .addOrderBy('set.version', 'DESC')
    .limit(1)
    .getOne();
  if (row === null || row.effectiveFrom === null) {
    throw new MarginServiceError(
      'NO_ACTIVE_PARAMETER_SET',
      `no active risk parameter set at ${new Date(nowEpochMs).toISOString()}`,
    );
  }
  const body = parseParameterSetBody(row.body, row.version);
  // Phase-in (parameter-phase-in.ts): read only while the set's period is still running at now.
  const [phase]: { phase_in_ms: string; from_version: string; from_body: unknown }[] = await manager.query(
    `SELECT s.phase_in_ms::text AS phase_in_ms, f.version AS from_version, f.body AS from_body
       FROM risk_parameter_set s JOIN risk_parameter_set f ON f.id = s.phase_in_from_id
      WHERE s.id = $1 AND s.effective_from + s.phase_in_ms * interval '1 millisecond' > $2`,
    [row.id, new Date(nowEpochMs)],
  );
  if (phase === undefined) return { id: row.id, version: row.version, effectiveFrom: row.effectiveFrom, body };
  const phased = phaseInParameterBody(
    {
      version: row.version,
      body,
      effectiveFromMs: row.effectiveFrom.getTime(),
      periodMs: Number(phase.phase_in_ms),
      fromVersion: phase.from_version,
      fromBody: parseParameterSetBody(phase.from_body, phase.from_version),
    },
    nowEpochMs,
  );
  return {
    id: row.id,
    version: phased.version,
    effectiveFrom: row.effectiveFrom,
    // Parsed again: the interpolated body must satisfy the same schema as any stored one.
    body: parseParameterSetBody(phased.body, phased.version),
    ...(phased.phaseIn === undefined ? {} : { phaseIn: phased.phaseIn }),
  };
}
