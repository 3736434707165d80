import { z } from 'zod';
import { Decimal } from '@novation/money';
import { marginRequestSchema, maxTradeSizeForRequest, parseMarginRequest } from '@novation/risk';
import { defineCommand } from '../command.js';
import { decimalString } from '../schemas.js';

const positiveDecimalString = decimalString.refine((text) => !text.startsWith('-') && /[1-9]/.test(text), {
  message: 'must be a decimal string > 0',
});

const maxSizeSchema = z.strictObject({
  /** The account as a margin request (the same document `margin` takes). */
  request: z.json(),
  instrumentId: z.string().min(1).max(128),
  quantityStep: positiveDecimalString,
  quantityMax: positiveDecimalString,
});

/**
 * `max-size`: the largest quantity of an instrument the account can buy and sell without falling below
 * IM under its own model, with the constraint that binds (initial-margin, quantity-limit, or
 * already-below-initial-margin when only risk-reducing trades are possible).
 */
export const maxSizeCommand = defineCommand({
  name: 'max-size',
  summary: 'largest buy and sell quantity that keeps equity >= IM',
  schema: maxSizeSchema,
  documentedSchema: maxSizeSchema.extend({ request: marginRequestSchema }),
  run: (input) => {
    const result = maxTradeSizeForRequest(parseMarginRequest(input.request), {
      instrumentId: input.instrumentId,
      quantityStep: new Decimal(input.quantityStep),
      quantityMax: new Decimal(input.quantityMax),
    });
    const side = (value: typeof result.buy) => ({
      quantity: value.quantity.toFixed(),
      bindingConstraint: value.bindingConstraint,
      headroomAtQuantity: value.headroomAtQuantity.toFixed(),
      evaluations: value.evaluations,
    });
    return { instrumentId: input.instrumentId, buy: side(result.buy), sell: side(result.sell) };
  },
});
