import { z } from 'zod';

/**
 * The one JSON format of a margin computation: what `computeMargin` takes, what a margin receipt stores
 * and hashes, what `novation-risk margin` and `novation-risk replay` read, and what the margin service
 * exports for a member to replay. One format means a receipt can always be replayed by the same parser.
 *
 * Amounts, quantities and prices travel as plain decimal strings ("-12.50"), never as JSON numbers, so no
 * digit is lost before it becomes a Decimal. Risk-model parameters that only feed float64 maths
 * (shock fractions, confidences, implied vols, returns) are JSON numbers.
 * Every object is strict: an unknown field is an error, so a typo never silently drops a parameter.
 */

/** Limits of one request: they bound the memory and time one call can take. */
export const MARGIN_REQUEST_LIMITS = {
  instrumentCountMax: 10_000,
  positionCountMax: 10_000,
  collateralAssetCountMax: 100,
  returnHistoryLengthMax: 5_000,
  identifierLengthMax: 128,
} as const;

const identifier = z
  .string()
  .min(1)
  .max(MARGIN_REQUEST_LIMITS.identifierLengthMax)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'must use only letters, digits and _ . : -');

const decimalString = z
  .string()
  .max(64)
  .regex(/^-?\d+(\.\d+)?$/, 'must be a plain decimal string such as "12.50"');
const positiveDecimalString = decimalString.refine((text) => /[1-9]/.test(text) && !text.startsWith('-'), {
  message: 'must be a decimal string > 0',
});
const fractionString = decimalString.refine((text) => !text.startsWith('-') && Number(text) < 1, {
  message: 'must be a decimal string in [0, 1)',
});
const epochMs = z.number().int().min(0).max(8_640_000_000_000_000);

const instrumentBase = {
  id: identifier,
  underlying: identifier,
  quoteAsset: identifier,
  settlementAsset: identifier,
  contractSize: positiveDecimalString,
};

export const instrumentSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('spot'), ...instrumentBase }),
  z.strictObject({ kind: z.literal('linear_perpetual'), ...instrumentBase }),
  z.strictObject({ kind: z.literal('inverse_perpetual'), ...instrumentBase }),
  z.strictObject({ kind: z.literal('linear_future'), ...instrumentBase, expiryEpochMs: epochMs }),
  z.strictObject({ kind: z.literal('inverse_future'), ...instrumentBase, expiryEpochMs: epochMs }),
  z.strictObject({
    kind: z.literal('european_option'),
    ...instrumentBase,
    settlement: z.enum(['linear', 'inverse']),
    underlyingReference: z.enum(['spot', 'future']),
    optionType: z.enum(['call', 'put']),
    strikePrice: positiveDecimalString,
    expiryEpochMs: epochMs,
  }),
]);

export const positionSchema = z.strictObject({
  instrumentId: identifier,
  /** Signed contracts: positive long, negative short. */
  quantity: decimalString,
  /** Average entry price; required for futures, perpetuals and spot (their unrealised PnL needs it). */
  averageEntryPrice: positiveDecimalString.optional(),
});

export const collateralSchema = z.strictObject({
  /** The asset the account is margined in: equity, IM and MM are all expressed in it. */
  marginAsset: identifier,
  holdings: z
    .array(z.strictObject({ asset: identifier, amount: decimalString }))
    .max(MARGIN_REQUEST_LIMITS.collateralAssetCountMax),
});

const returnSeries = z.array(z.number().gt(-10).lt(10)).max(MARGIN_REQUEST_LIMITS.returnHistoryLengthMax);

export const marketSnapshotSchema = z.strictObject({
  valuationEpochMs: epochMs,
  /** Continuously compounded, per year (0.05 = 5%). */
  riskFreeRate: z.number().gt(-1).lt(1),
  /** Definitions of every instrument the positions refer to (reference data is part of the inputs). */
  instruments: z.array(instrumentSchema).max(MARGIN_REQUEST_LIMITS.instrumentCountMax),
  /** Index (or forward) price per underlying, in the quote asset. */
  underlyingPrices: z.record(identifier, positiveDecimalString),
  /** Mark price per instrument id: futures in quote per unit, options as premium per unit in settlement asset. */
  markPrices: z.record(identifier, positiveDecimalString),
  /** Implied volatility per option instrument id (0.6 = 60%). */
  impliedVolatilities: z.record(identifier, z.number().gt(0).lt(100)).default({}),
  /** Price of one unit of each asset in the account's margin asset (the margin asset itself is 1). */
  assetPrices: z.record(identifier, positiveDecimalString),
  /** Daily log returns per underlying, oldest first, aligned by date (historical-es only). */
  returnHistory: z.record(identifier, returnSeries).optional(),
  /** Daily log returns of the stressed period per underlying (historical-es stress-period floor only). */
  stressedReturnHistory: z.record(identifier, returnSeries).optional(),
});

const tierSchema = z.strictObject({
  notionalFloor: decimalString,
  notionalCap: decimalString.nullable(),
  initialMarginFraction: fractionString,
  maintenanceMarginFraction: fractionString,
});

export const standardModelSchema = z.strictObject({
  /** Tier table per future/perpetual/spot instrument id; notional in quote (linear) or coin (inverse). */
  tiers: z.record(identifier, z.array(tierSchema).min(1).max(64)),
  /** Deribit-style a, b, c per option underlying. */
  options: z
    .record(
      identifier,
      z.strictObject({
        initialMarginBaseFraction: fractionString,
        initialMarginFloorFraction: fractionString,
        maintenanceMarginFraction: fractionString,
      }),
    )
    .default({}),
});

const fraction = z.number().min(0).max(1);

export const portfolioScenarioModelSchema = z.strictObject({
  priceShockFractions: z.array(z.number().gt(-1).lt(100)).min(1).max(1024),
  volatilityShockFractions: z.array(z.number().gt(-1).lt(100)).min(1).max(1024),
  tailScenarios: z
    .array(
      z.strictObject({
        priceShockFraction: z.number().gt(-1).lt(100),
        volatilityShockFraction: z.number().gt(-1).lt(100),
        weight: z.number().gt(0).max(1),
      }),
    )
    .max(1024),
  volatilityScaling: z.strictObject({
    referenceDays: z.number().positive(),
    shortDatedThresholdDays: z.number().min(0),
    shortDatedPower: z.number().min(0).max(10),
    longDatedPower: z.number().min(0).max(10),
    daysToExpiryMin: z.number().positive(),
  }),
  volatilityFloor: z.number().positive().lt(100),
  shortOptionChargeFraction: fraction,
  shortOptionChargeBasis: z.enum(['per-contract', 'net-per-strike']).optional(),
  futuresOffsetChargeFraction: fraction.optional(),
  netDeltaChargeFraction: fraction,
  maintenanceFactor: z.number().gt(0).max(1),
  groupOffsets: z
    .array(z.strictObject({ firstUnderlying: identifier, secondUnderlying: identifier, creditFraction: fraction }))
    .max(1000),
});

export const historicalEsModelSchema = z.strictObject({
  lookbackDays: z.number().int().min(1).max(MARGIN_REQUEST_LIMITS.returnHistoryLengthMax),
  confidence: z.number().min(0.5).lt(1),
  measure: z.enum(['expected-shortfall', 'value-at-risk']),
  marginPeriodOfRiskDays: z.number().int().min(1).max(60),
  horizonMethod: z.enum(['overlapping', 'square-root-of-time']),
  filtering: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({
      kind: z.literal('ewma'),
      decay: z.number().gt(0).lt(1),
      seedWindowDays: z.number().int().min(1).optional(),
    }),
  ]),
  antiProcyclicality: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('none') }),
    z.strictObject({ kind: z.literal('buffer'), bufferFraction: z.number().min(0).max(10) }),
    z.strictObject({ kind: z.literal('stress-period-floor'), weight: fraction }),
  ]),
  liquidity: z
    .record(
      identifier,
      z.strictObject({
        liquidQuantity: z.number().positive(),
        spreadFraction: fraction,
        impactFraction: fraction,
      }),
    )
    .default({}),
  maintenanceFactor: z.number().gt(0).max(1),
  volatilityFloor: z.number().positive().lt(100),
});

export const assetParametersSchema = z.strictObject({
  /** Decimal places amounts in this asset are rounded to (USDC 6, BTC 8). */
  scale: z.number().int().min(0).max(18),
  /** Collateral haircut counted against IM; >= the maintenance haircut. */
  initialHaircut: fractionString,
  maintenanceHaircut: fractionString,
});

export const marginParametersSchema = z.strictObject({
  assets: z.record(identifier, assetParametersSchema),
  standard: standardModelSchema.optional(),
  portfolioScenario: portfolioScenarioModelSchema.optional(),
  historicalEs: historicalEsModelSchema.optional(),
});

export const MARGIN_MODELS = ['standard', 'portfolio-scenario', 'historical-es'] as const;
export type MarginModelName = (typeof MARGIN_MODELS)[number];

const commonRequestShape = {
  /** Engine version the request was (or is to be) computed with; defaults to the running engine's. */
  engineVersion: z.string().min(1).max(32).optional(),
  model: z.enum(MARGIN_MODELS),
  parameterSetVersion: z.string().min(1).max(64),
  parameters: marginParametersSchema,
  marketSnapshot: marketSnapshotSchema,
};

/** The model's own parameter block must be present: checked for a request and for a batch alike. */
function requireModelParameters(
  request: { readonly model: MarginModelName; readonly parameters: z.infer<typeof marginParametersSchema> },
  context: z.RefinementCtx,
): void {
  const parametersKey = modelParametersKey(request.model);
  if (request.parameters[parametersKey] === undefined) {
    context.addIssue({
      code: 'custom',
      path: ['parameters', parametersKey],
      message: `model ${request.model} needs parameters.${parametersKey}`,
    });
  }
}

export const marginRequestSchema = z
  .strictObject({
    ...commonRequestShape,
    positions: z.array(positionSchema).max(MARGIN_REQUEST_LIMITS.positionCountMax),
    collateral: collateralSchema,
  })
  .superRefine(requireModelParameters);

/** Most accounts in one batch file. */
export const MARGIN_BATCH_ACCOUNT_COUNT_MAX = 1_000_000;

/**
 * Many accounts margined against one market snapshot and parameter set (e.g. a member's whole book, or
 * a file of 100k accounts): the snapshot and parameters are written once, not once per account.
 */
export const marginBatchSchema = z
  .strictObject({
    ...commonRequestShape,
    accounts: z
      .array(
        z.strictObject({
          accountId: identifier,
          positions: z.array(positionSchema).max(MARGIN_REQUEST_LIMITS.positionCountMax),
          collateral: collateralSchema,
        }),
      )
      .max(MARGIN_BATCH_ACCOUNT_COUNT_MAX),
  })
  .superRefine(requireModelParameters);

/** The JSON form (strings for amounts) as parsed: the receipt's inputs. */
export type MarginRequest = z.infer<typeof marginRequestSchema>;
export type MarginBatch = z.infer<typeof marginBatchSchema>;
export type MarginRequestInstrument = z.infer<typeof instrumentSchema>;
export type StandardModelParameters = z.infer<typeof standardModelSchema>;
export type PortfolioScenarioModelParameters = z.infer<typeof portfolioScenarioModelSchema>;
export type HistoricalEsModelParameters = z.infer<typeof historicalEsModelSchema>;

export function modelParametersKey(model: MarginModelName): 'standard' | 'portfolioScenario' | 'historicalEs' {
  switch (model) {
    case 'standard':
      return 'standard';
    case 'portfolio-scenario':
      return 'portfolioScenario';
    case 'historical-es':
      return 'historicalEs';
  }
}
