import { Decimal } from '@novation/money';
import { parameterSetBodySchema, parseParameterSetBody, type ParameterSetBody } from '@novation/persistence';
import type { FieldViolation } from './parameter-set.exception.js';

/**
 * Hard bounds a parameter set must respect beyond its schema: values the schema allows but a clearing
 * house must never run with. Changing one is a code change, reviewed like one.
 */
export const PARAMETER_BOUNDS = {
  /** Historical ES/VaR confidence: at least 99% (EMIR art. 24 for OTC-like products). */
  historicalEsConfidenceMin: 0.99,
  marginPeriodOfRiskDaysMin: 1,
  /** The anti-procyclicality buffer, when chosen, is at least 25% (EMIR RTS art. 28(1)(a)). */
  antiProcyclicalityBufferFractionMin: 0.25,
  marginCallDeadlineMsMin: 0,
} as const;

/** At most this many violations are returned: enough to fix a body, bounded for a hostile one. */
export const VIOLATIONS_MAX = 100;

/** The model named for an account kind needs its parameter block. */
const PARAMETERS_KEY_OF_MODEL = {
  standard: 'standard',
  'portfolio-scenario': 'portfolioScenario',
  'historical-es': 'historicalEs',
} as const;

/**
 * Every reason `raw` cannot be a parameter set, field by field: schema issues first (all of them, not
 * only the first), then the hard bounds on a body that parsed. Empty means acceptable.
 */
export function parameterSetViolations(raw: unknown): FieldViolation[] {
  const parsed = parameterSetBodySchema.safeParse(raw);
  if (!parsed.success) {
    return parsed.error.issues.slice(0, VIOLATIONS_MAX).map((issue) => ({
      field: issue.path.map(String).join('.') || '(body)',
      message: issue.message,
    }));
  }
  return boundViolations(parsed.data).slice(0, VIOLATIONS_MAX);
}

/** The body as stored: parsed by the same function every reader uses, so what is accepted can be read. */
export function acceptedParameterSetBody(raw: unknown, version: string): ParameterSetBody {
  return parseParameterSetBody(raw, version);
}

function boundViolations(body: ParameterSetBody): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const add = (field: string, message: string): void => {
    violations.push({ field, message });
  };
  for (const [kind, model] of Object.entries(body.models)) {
    const key = PARAMETERS_KEY_OF_MODEL[model];
    if (body.parameters[key] === undefined) add(`parameters.${key}`, `required: models.${kind} is ${model}`);
  }
  for (const [asset, parameters] of Object.entries(body.parameters.assets)) {
    if (new Decimal(parameters.initialHaircut).lessThan(parameters.maintenanceHaircut)) {
      add(`parameters.assets.${asset}.initialHaircut`, 'must be >= maintenanceHaircut');
    }
  }
  const standard = body.parameters.standard;
  if (standard !== undefined) {
    for (const [instrument, tiers] of Object.entries(standard.tiers)) {
      tiers.forEach((tier, index) => {
        if (new Decimal(tier.initialMarginFraction).lessThan(tier.maintenanceMarginFraction)) {
          add(`parameters.standard.tiers.${instrument}.${index}.initialMarginFraction`, 'must be >= maintenance');
        }
        if (tier.notionalCap !== null && !new Decimal(tier.notionalCap).greaterThan(tier.notionalFloor)) {
          add(`parameters.standard.tiers.${instrument}.${index}.notionalCap`, 'must be > notionalFloor');
        }
      });
    }
  }
  const scenario = body.parameters.portfolioScenario;
  if (scenario !== undefined) {
    if (scenario.priceShockFractions.length === 0) {
      add('parameters.portfolioScenario.priceShockFractions', 'must not be empty');
    }
    if (scenario.volatilityShockFractions.length === 0) {
      add('parameters.portfolioScenario.volatilityShockFractions', 'must not be empty');
    }
  }
  const historical = body.parameters.historicalEs;
  if (historical !== undefined) {
    if (historical.confidence < PARAMETER_BOUNDS.historicalEsConfidenceMin) {
      add('parameters.historicalEs.confidence', `must be >= ${PARAMETER_BOUNDS.historicalEsConfidenceMin}`);
    }
    if (historical.marginPeriodOfRiskDays < PARAMETER_BOUNDS.marginPeriodOfRiskDaysMin) {
      add('parameters.historicalEs.marginPeriodOfRiskDays', `must be >= ${PARAMETER_BOUNDS.marginPeriodOfRiskDaysMin}`);
    }
    const antiProcyclicality = historical.antiProcyclicality;
    if (
      antiProcyclicality.kind === 'buffer' &&
      antiProcyclicality.bufferFraction < PARAMETER_BOUNDS.antiProcyclicalityBufferFractionMin
    ) {
      add(
        'parameters.historicalEs.antiProcyclicality.bufferFraction',
        `must be >= ${PARAMETER_BOUNDS.antiProcyclicalityBufferFractionMin}`,
      );
    }
  }
  if (body.marginCall.deadlineMs < PARAMETER_BOUNDS.marginCallDeadlineMsMin) {
    add('marginCall.deadlineMs', `must be >= ${PARAMETER_BOUNDS.marginCallDeadlineMsMin}`);
  }
  return violations;
}
