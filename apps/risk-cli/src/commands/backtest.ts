import { z } from 'zod';
import {
  backtestExceptions,
  baselTrafficLightZone,
  christoffersenConditionalCoverage,
  kupiecProportionOfFailures,
} from '@novation/risk';
import { defineCommand } from '../command.js';
import { finiteNumber, openUnitFraction } from '../schemas.js';

export const backtestSchema = z
  .strictObject({
    /** Margin requirement per period, the figure the loss is tested against. */
    margins: z.array(finiteNumber).min(1),
    /** Realised loss per period (positive = loss), same length as margins. */
    losses: z.array(finiteNumber).min(1),
    confidence: openUnitFraction,
  })
  .refine((input) => input.margins.length === input.losses.length, {
    path: ['losses'],
    message: 'losses must have one entry per margin',
  });

/**
 * `backtest`: counts periods whose loss exceeded the margin and runs the coverage tests a clearinghouse
 * publishes (Kupiec proportion of failures, Christoffersen independence and conditional coverage, Basel
 * traffic light), with expected exception probability 1 - confidence.
 */
export const backtestCommand = defineCommand({
  name: 'backtest',
  summary: 'margin backtest: exceptions, Kupiec, Christoffersen, traffic light',
  schema: backtestSchema,
  run: (input) => {
    const expectedExceptionProbability = 1 - input.confidence;
    const exceptions = backtestExceptions({ requirements: input.margins, realisedLosses: input.losses });
    const counts = {
      observationCount: exceptions.observationCount,
      exceptionCount: exceptions.exceptionCount,
      expectedExceptionProbability,
    };
    return {
      observationCount: exceptions.observationCount,
      exceptionCount: exceptions.exceptionCount,
      coverageRatio: exceptions.coverageRatio,
      kupiec: kupiecProportionOfFailures(counts),
      christoffersen: christoffersenConditionalCoverage({
        exceptionIndicators: exceptions.exceptionIndicators,
        expectedExceptionProbability,
      }),
      trafficLight: baselTrafficLightZone(counts),
    };
  },
});
