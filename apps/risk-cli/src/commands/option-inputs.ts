import { z } from 'zod';
import { black76AsGeneralised, type GeneralisedBlackScholesInputs } from '@novation/risk';
import { finiteNumber, optionType, settlement } from '../schemas.js';

/**
 * Option fields shared by `price` and `implied-vol`. The carry is given as exactly one of dividendYield
 * (q) or carryRate (b = r - q), or neither with model 'black-76' (where the underlying price is the
 * futures price and b = 0).
 */
export const optionFields = {
  model: z.enum(['generalised-black-scholes', 'black-76']).default('generalised-black-scholes'),
  optionType,
  underlyingPrice: finiteNumber,
  strike: finiteNumber,
  timeToExpiryYears: finiteNumber,
  riskFreeRate: finiteNumber,
  dividendYield: finiteNumber.optional(),
  carryRate: finiteNumber.optional(),
  settlement: settlement.default('linear'),
};

interface CarryFields {
  readonly model: 'generalised-black-scholes' | 'black-76';
  readonly dividendYield?: number | undefined;
  readonly carryRate?: number | undefined;
}

/** Refinement shared by both schemas: the carry must be stated once, and not at all for Black-76. */
export function checkCarry(input: CarryFields, context: z.RefinementCtx): void {
  const given = [input.dividendYield, input.carryRate].filter((value) => value !== undefined).length;
  if (input.model === 'black-76' && given > 0) {
    const field = input.dividendYield === undefined ? 'carryRate' : 'dividendYield';
    context.addIssue({ code: 'custom', path: [field], message: 'black-76 has no carry: omit it' });
  } else if (input.model === 'generalised-black-scholes' && given !== 1) {
    context.addIssue({
      code: 'custom',
      path: ['dividendYield'],
      message: 'give exactly one of dividendYield or carryRate',
    });
  }
}

/** The generalised model inputs for a validated option, volatility supplied by the caller. */
export function generalisedInputs(
  input: CarryFields & {
    readonly optionType: 'call' | 'put';
    readonly underlyingPrice: number;
    readonly strike: number;
    readonly timeToExpiryYears: number;
    readonly riskFreeRate: number;
  },
  volatility: number,
): GeneralisedBlackScholesInputs {
  const common = {
    optionType: input.optionType,
    strikePrice: input.strike,
    timeToExpiryYears: input.timeToExpiryYears,
    volatility,
    riskFreeRate: input.riskFreeRate,
  };
  if (input.model === 'black-76') return black76AsGeneralised({ ...common, forwardPrice: input.underlyingPrice });
  const dividendYield = input.dividendYield ?? input.riskFreeRate - (input.carryRate ?? 0);
  return { ...common, underlyingPrice: input.underlyingPrice, dividendYield };
}
