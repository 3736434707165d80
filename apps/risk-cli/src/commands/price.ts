import { z } from 'zod';
import {
  black76Greeks,
  generalisedBlackScholesGreeks,
  generalisedBlackScholesValue,
  inverseOptionDeltaInCoin,
  inverseOptionValue,
} from '@novation/risk';
import { defineCommand } from '../command.js';
import { finiteNumber } from '../schemas.js';
import { checkCarry, generalisedInputs, optionFields } from './option-inputs.js';

export const priceSchema = z.strictObject({ ...optionFields, volatility: finiteNumber }).superRefine(checkCarry);

/**
 * `price`: value and greeks of a European option. Linear settlement gives the value in quote currency;
 * inverse (coin-settled, Deribit) gives it in coin, plus the coin delta Deribit displays. Greeks are raw
 * partial derivatives of the quote-currency value (per 1.00 of vol and rate, theta per year).
 */
export const priceCommand = defineCommand({
  name: 'price',
  summary: 'option value and greeks (generalised Black-Scholes, Black-76, inverse)',
  schema: priceSchema,
  run: (input) => {
    const inputs = generalisedInputs(input, input.volatility);
    const greeks =
      input.model === 'black-76'
        ? black76Greeks({ ...inputs, forwardPrice: input.underlyingPrice })
        : generalisedBlackScholesGreeks(inputs);
    if (input.settlement === 'inverse') {
      return {
        model: input.model,
        settlement: input.settlement,
        valueCurrency: 'coin',
        value: inverseOptionValue(inputs),
        deltaInCoin: inverseOptionDeltaInCoin(inputs),
        greeks,
      };
    }
    return {
      model: input.model,
      settlement: input.settlement,
      valueCurrency: 'quote',
      value: generalisedBlackScholesValue(inputs),
      greeks,
    };
  },
});
