import { z } from 'zod';
import { instrumentSchema, runStressTest, toInstrument } from '@novation/risk';
import { defineCommand } from '../command.js';
import { finiteNumber } from '../schemas.js';

const identifier = z.string().min(1).max(128);
const nonNegative = z.number().min(0);

const stressSchema = z.strictObject({
  reportingAsset: identifier,
  scenarios: z
    .array(
      z.strictObject({
        name: identifier,
        underlyingShocks: z.record(identifier, z.number().gt(-1)),
        volatilityShockFraction: z.number().gt(-1),
      }),
    )
    .min(1)
    .max(1_000),
  instruments: z.array(instrumentSchema).max(100_000),
  snapshot: z.strictObject({
    valuationEpochMs: z.number().int().min(0),
    riskFreeRate: finiteNumber,
    underlyingPrices: z.record(identifier, z.number().positive()),
    impliedVolatilities: z.record(identifier, z.number().positive()).default({}),
  }),
  volatilityFloor: z.number().positive(),
  accounts: z
    .array(
      z.strictObject({
        accountId: identifier,
        memberId: identifier,
        settlementAsset: identifier,
        positions: z.array(z.strictObject({ instrumentId: identifier, quantity: finiteNumber })).max(10_000),
        marginHeld: nonNegative,
      }),
    )
    .max(1_000_000),
  settlementAssetPrices: z.record(identifier, z.number().positive()).default({}),
  defaultResources: z.strictObject({
    defaultFund: nonNegative,
    ccpSkinInTheGame: nonNegative.optional(),
    memberDefaultFundContributions: z.record(identifier, nonNegative).optional(),
  }),
});

/**
 * `stress`: named scenarios (a move per underlying and a vol shock) applied to every account with full
 * repricing; losses per account and per member, and the cover-1 / cover-2 check of the largest member
 * losses beyond margin against the default fund (and the CCP's skin in the game).
 */
export const stressCommand = defineCommand({
  name: 'stress',
  summary: 'stress losses per account and member, cover-1 / cover-2',
  schema: stressSchema,
  run: (input) =>
    runStressTest({
      ...input,
      instruments: input.instruments.map(toInstrument),
      snapshot: {
        valuationEpochMs: input.snapshot.valuationEpochMs,
        riskFreeRate: input.snapshot.riskFreeRate,
        underlyingPrices: new Map(Object.entries(input.snapshot.underlyingPrices)),
        impliedVolatilities: new Map(Object.entries(input.snapshot.impliedVolatilities)),
      },
      settlementAssetPrices: new Map(Object.entries(input.settlementAssetPrices)),
    }),
});
