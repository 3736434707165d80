import { MARGIN_MODELS, marginParametersSchema } from '@novation/risk';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { RiskParameterSetEntity } from '../entities/margin.entity.js';
import { MarginServiceError, assertEpochMs } from './margin-service-error.js';

const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/);
const marginModel = z.enum(MARGIN_MODELS);

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
  return {
    id: row.id,
    version: row.version,
    effectiveFrom: row.effectiveFrom,
    body: parseParameterSetBody(row.body, row.version),
  };
}
