import { z } from 'zod';
import { impliedVolatility } from '@novation/risk';
import { defineCommand } from '../command.js';
import { finiteNumber } from '../schemas.js';
import { checkCarry, generalisedInputs, optionFields } from './option-inputs.js';

export const impliedVolSchema = z.strictObject({ ...optionFields, price: finiteNumber }).superRefine(checkCarry);

/**
 * `implied-vol`: the volatility that reproduces an observed price. An inverse price is in coin and is
 * converted to quote at the underlying price (value in coin = quote value / S). A price outside the
 * no-arbitrage bounds exits 3 with the solver's code (PRICE_BELOW_INTRINSIC, PRICE_ABOVE_UPPER_BOUND...).
 */
export const impliedVolCommand = defineCommand({
  name: 'implied-vol',
  summary: 'implied volatility from an option price',
  schema: impliedVolSchema,
  run: (input) => {
    const { volatility: _unused, ...inputs } = generalisedInputs(input, 1);
    const optionPrice = input.settlement === 'inverse' ? input.price * input.underlyingPrice : input.price;
    const result = impliedVolatility({ ...inputs, optionPrice });
    return { volatility: result.volatility, iterations: result.iterations };
  },
});
