import { z } from 'zod';
import { historicalRiskMeasures } from '@novation/risk';
import { defineCommand } from '../command.js';
import { finiteNumber, openUnitFraction } from '../schemas.js';

export const varSchema = z.strictObject({
  /** Profit and loss per scenario, profits positive. */
  pnl: z.array(finiteNumber).min(1),
  confidence: openUnitFraction,
});

/** `var`: historical value at risk and expected shortfall, both reported as positive losses. */
export const varCommand = defineCommand({
  name: 'var',
  summary: 'historical value at risk and expected shortfall',
  schema: varSchema,
  run: (input) => historicalRiskMeasures(input.pnl, input.confidence),
});
