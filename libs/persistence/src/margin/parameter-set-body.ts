import { MARGIN_MODELS, marginParametersSchema } from '@novation/risk';
import type { EntityManager } from 'typeorm';
import { z } from 'zod';
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

/** Most parsed bodies kept: the set in force, the one it phases in from, and a few recent ones. */
const PARSED_BODIES_MAX = 8;

/**
 * Parsed bodies by `<row id>:<sha256 of body::text>`, least recently used first. The hash is computed by
 * PostgreSQL in the query that picks the set, so a body changed in place (jsonb_set) is parsed again; an
 * unchanged one is not parsed on every call (a margin run or a liquidation step reads the set each time).
 * Entries are deeply frozen: every caller shares them.
 */
const parsedBodies = new Map<string, ParameterSetBody>();

function cachedBody(key: string): ParameterSetBody | undefined {
  const body = parsedBodies.get(key);
  if (body !== undefined) {
    parsedBodies.delete(key);
    parsedBodies.set(key, body);
  }
  return body;
}

function rememberBody(key: string, body: ParameterSetBody): ParameterSetBody {
  parsedBodies.delete(key);
  parsedBodies.set(key, body);
  while (parsedBodies.size > PARSED_BODIES_MAX) {
    const oldest = parsedBodies.keys().next().value as string;
    parsedBodies.delete(oldest);
  }
  return body;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const BODY_SHA256 = (alias: string) => `encode(sha256(convert_to(${alias}.body::text, 'UTF8')), 'hex')`;

/**
 * The parsed bodies of `wanted` (row id -> body hash seen by the caller's query), from the cache or read
 * and parsed. A body read here is stored under the hash read with it, in the same statement.
 */
async function parsedBodiesOf(
  manager: EntityManager,
  wanted: readonly { readonly id: string; readonly version: string; readonly sha256: string }[],
): Promise<Map<string, ParameterSetBody>> {
  const bodies = new Map<string, ParameterSetBody>();
  const missing: string[] = [];
  for (const { id, sha256 } of wanted) {
    const body = cachedBody(`${id}:${sha256}`);
    if (body === undefined) missing.push(id);
    else bodies.set(id, body);
  }
  if (missing.length === 0) return bodies;
  const rows: { id: string; body: unknown; body_sha256: string }[] = await manager.query(
    `SELECT s.id, s.body, ${BODY_SHA256('s')} AS body_sha256 FROM risk_parameter_set s WHERE s.id = ANY($1::uuid[])`,
    [missing],
  );
  for (const row of rows) {
    const version = wanted.find((entry) => entry.id === row.id)?.version;
    const body = deepFreeze(parseParameterSetBody(row.body, version));
    bodies.set(row.id, rememberBody(`${row.id}:${row.body_sha256}`, body));
  }
  return bodies;
}

/**
 * The parameter set in force at `nowEpochMs`: the latest (by effectiveFrom, then creation) set whose status
 * is 'active' or 'approved' and whose effectiveFrom is not after now. None is NO_ACTIVE_PARAMETER_SET.
 * One statement picks the set, the set it is phased in from (only while its period is still running at
 * now, parameter-phase-in.ts) and both bodies' hashes; a body not parsed before is then read and parsed.
 * The returned body is shared and frozen.
 */
export async function activeParameterSet(manager: EntityManager, nowEpochMs: number): Promise<ActiveParameterSet> {
  assertEpochMs(nowEpochMs);
  const [row]: {
    id: string;
    version: string;
    effective_from: Date | string;
    body_sha256: string;
    phase_in_ms: string | null;
    from_id: string | null;
    from_version: string | null;
    from_body_sha256: string | null;
  }[] = await manager.query(
    `SELECT s.id, s.version, s.effective_from, ${BODY_SHA256('s')} AS body_sha256,
            s.phase_in_ms::text AS phase_in_ms, f.id AS from_id, f.version AS from_version,
            ${BODY_SHA256('f')} AS from_body_sha256
       FROM risk_parameter_set s
       LEFT JOIN risk_parameter_set f
         ON f.id = s.phase_in_from_id AND s.effective_from + s.phase_in_ms * interval '1 millisecond' > $1
      WHERE s.status IN ('active', 'approved') AND s.effective_from IS NOT NULL AND s.effective_from <= $1
      ORDER BY s.effective_from DESC, s.created_at DESC, s.version DESC
      LIMIT 1`,
    [new Date(nowEpochMs)],
  );
  if (row === undefined) {
    throw new MarginServiceError(
      'NO_ACTIVE_PARAMETER_SET',
      `no active risk parameter set at ${new Date(nowEpochMs).toISOString()}`,
    );
  }
  const effectiveFrom = new Date(row.effective_from);
  const phasing =
    row.from_id === null || row.from_version === null || row.from_body_sha256 === null || row.phase_in_ms === null
      ? null
      : { id: row.from_id, version: row.from_version, sha256: row.from_body_sha256, periodMs: row.phase_in_ms };
  const bodies = await parsedBodiesOf(manager, [
    { id: row.id, version: row.version, sha256: row.body_sha256 },
    ...(phasing === null ? [] : [phasing]),
  ]);
  const body = bodies.get(row.id);
  if (body === undefined)
    throw new MarginServiceError('NO_ACTIVE_PARAMETER_SET', `parameter set ${row.version} vanished`);
  if (phasing === null) return { id: row.id, version: row.version, effectiveFrom, body };
  const fromBody = bodies.get(phasing.id);
  if (fromBody === undefined) {
    throw new MarginServiceError('NO_ACTIVE_PARAMETER_SET', `parameter set ${phasing.version} vanished`);
  }
  const phased = phaseInParameterBody(
    {
      version: row.version,
      body,
      effectiveFromMs: effectiveFrom.getTime(),
      periodMs: Number(phasing.periodMs),
      fromVersion: phasing.version,
      fromBody,
    },
    nowEpochMs,
  );
  return {
    id: row.id,
    version: phased.version,
    effectiveFrom,
    // Parsed again: the interpolated body must satisfy the same schema as any stored one.
    body: parseParameterSetBody(phased.body, phased.version),
    ...(phased.phaseIn === undefined ? {} : { phaseIn: phased.phaseIn }),
  };
}
