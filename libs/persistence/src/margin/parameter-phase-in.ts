import { Decimal } from '@novation/money';

/**
 * Linear phase-in of a risk parameter set (issue 7 §2): from `effectiveFrom` for `periodMs`, the margin
 * service uses a body between the set it replaces (`from`) and the new one (`to`). Pure: the clock and
 * both bodies are arguments.
 *
 * - Weight: w = k / N with N = periodMs / PHASE_IN_STEP_MS and k = floor(elapsed / PHASE_IN_STEP_MS), so
 *   w moves in hourly steps from 0 to (N - 1) / N; at effectiveFrom + periodMs the new body applies as it
 *   is (w = 1). At most N (<= 2,160) distinct bodies exist per phase-in.
 * - Decimal strings (haircuts, tier fractions, notional bounds, liquidation fractions): from + w x (to -
 *   from) in exact decimal arithmetic, rounded half-up to max(8, decimals of either end) places. Rounding
 *   is monotone and both ends are representable, so every value moves monotonically from the old to the
 *   new one and stays between them (bounds such as IM >= MM or cap > floor hold, being convex).
 * - JSON numbers that are not both integers (confidences, shock fractions, rates): the same formula,
 *   rounded to 15 significant digits.
 * - JSON numbers that are both integers (lookback and MPOR days, asset scales, deadlines, cool-downs):
 *   the old value until the phase-in ends, then the new one. Counts and durations have no meaningful
 *   midpoint. (A float field whose old and new values both happen to be integers also switches at the end.)
 * - Everything else must be identical in both bodies: the same keys at every level, the same array
 *   lengths, the same strings, booleans and nulls, and identifiers (models, asset index, USD assets, group
 *   offsets' underlyings) equal; `phaseInViolations` lists every difference.
 *
 * The interpolated body is a complete parameter set: a receipt stores it (and the label
 * `<version>@phase-<w>`) as its inputs, so `novation-risk replay` reproduces it knowing nothing of phase-in.
 * Set versions may not contain '@' (apps/admin VERSION_PATTERN), so a label never names a real set.
 */

/** Weights change once an hour. */
export const PHASE_IN_STEP_MS = 3_600_000;
export const PHASE_IN_DAYS_MIN = 1;
export const PHASE_IN_DAYS_MAX = 90;
/** Interpolated decimal strings keep at least this many decimal places (the liquidation fractions' max). */
export const PHASE_IN_DECIMAL_PLACES_MIN = 8;
const FLOAT_SIGNIFICANT_DIGITS = 15;
/** Decimal places of the weight in version labels: 1 / N >= 1 / 2,160 > 1e-6, so labels never collide. */
const WEIGHT_LABEL_DECIMAL_PLACES = 6;
/** The longest label suffix, `@phase-0.` and six digits: a version longer than 64 minus this cannot phase in. */
export const PHASE_IN_LABEL_SUFFIX_LENGTH_MAX = '@phase-0.'.length + WEIGHT_LABEL_DECIMAL_PLACES;
/** At most this many structural differences are listed. */
export const PHASE_IN_VIOLATIONS_MAX = 100;
/** Bodies are about six levels deep; anything deeper than this is refused rather than walked. */
const DEPTH_MAX = 16;

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;
/** Top-level fields made of identifiers: they must be equal, never interpolated. */
const IDENTITY_FIELDS: ReadonlySet<string> = new Set(['models', 'assetIndex', 'usdAssets']);
/** Keys whose values are identifiers wherever they appear. */
const IDENTITY_KEYS: ReadonlySet<string> = new Set(['firstUnderlying', 'secondUnderlying']);

export interface PhaseInViolation {
  readonly field: string;
  readonly message: string;
}

/** Where a phase-in stands at one instant. */
export interface PhaseInState {
  /** The set's own version (the body's `version` carries the `@phase-<w>` label). */
  readonly setVersion: string;
  /** The version phased from. */
  readonly fromVersion: string;
  readonly periodMs: number;
  /** k: whole steps elapsed since effectiveFrom, in [0, stepCount). */
  readonly stepIndex: number;
  /** N: steps in the period. */
  readonly stepCount: number;
  /** k / N rounded down to 6 places, as text. */
  readonly weight: string;
}

export interface PhaseInInput<Body> {
  readonly version: string;
  readonly body: Body;
  readonly effectiveFromMs: number;
  readonly periodMs: number;
  readonly fromVersion: string;
  readonly fromBody: Body;
}

export interface PhasedBody<Body> {
  /** `<version>@phase-<w>` during the phase-in, the plain version after it. */
  readonly version: string;
  readonly body: Body;
  /** Absent once the phase-in is over (or before it starts). */
  readonly phaseIn?: PhaseInState;
}

/** A phase-in period in ms is whole days within [PHASE_IN_DAYS_MIN, PHASE_IN_DAYS_MAX]. */
export function isPhaseInPeriodMs(periodMs: number): boolean {
  const dayMs = 24 * PHASE_IN_STEP_MS;
  return (
    Number.isSafeInteger(periodMs) &&
    periodMs % dayMs === 0 &&
    periodMs >= PHASE_IN_DAYS_MIN * dayMs &&
    periodMs <= PHASE_IN_DAYS_MAX * dayMs
  );
}

/** The step (k of N) at `nowEpochMs`, or undefined outside [effectiveFrom, effectiveFrom + period). */
export function phaseInStep(
  effectiveFromMs: number,
  periodMs: number,
  nowEpochMs: number,
): { readonly stepIndex: number; readonly stepCount: number } | undefined {
  assertPeriod(periodMs);
  if (nowEpochMs < effectiveFromMs || nowEpochMs >= effectiveFromMs + periodMs) return undefined;
  return {
    stepIndex: Math.floor((nowEpochMs - effectiveFromMs) / PHASE_IN_STEP_MS),
    stepCount: periodMs / PHASE_IN_STEP_MS,
  };
}

/** k / N as the label text: rounded down to 6 decimal places ('0.5', '0.020833'). */
export function phaseInWeightText(stepIndex: number, stepCount: number): string {
  return new Decimal(stepIndex)
    .div(stepCount)
    .toDecimalPlaces(WEIGHT_LABEL_DECIMAL_PLACES, Decimal.ROUND_DOWN)
    .toFixed();
}

/**
 * The body in force at `nowEpochMs` for a set phased in from `fromBody`: interpolated during the period,
 * the set's own body after it. Before effectiveFrom the set is not in force; callers do not ask then, and
 * get the set's own body if they do.
 */
export function phaseInParameterBody<Body>(input: PhaseInInput<Body>, nowEpochMs: number): PhasedBody<Body> {
  const step = phaseInStep(input.effectiveFromMs, input.periodMs, nowEpochMs);
  if (step === undefined) return { version: input.version, body: input.body };
  const weight = phaseInWeightText(step.stepIndex, step.stepCount);
  return {
    version: `${input.version}@phase-${weight}`,
    body: interpolateParameterBodies(input.fromBody, input.body, step.stepIndex, step.stepCount),
    phaseIn: {
      setVersion: input.version,
      fromVersion: input.fromVersion,
      periodMs: input.periodMs,
      stepIndex: step.stepIndex,
      stepCount: step.stepCount,
      weight,
    },
  };
}

/**
 * Every reason `from` cannot be phased into `to`, field by field (dotted paths as in the audit diff).
 * Empty means the two bodies have the same structure and can be interpolated.
 */
export function phaseInViolations(from: unknown, to: unknown): PhaseInViolation[] {
  const violations: PhaseInViolation[] = [];
  walk('', from, to, 0, (path, message) => {
    if (violations.length < PHASE_IN_VIOLATIONS_MAX) violations.push({ field: path === '' ? '(body)' : path, message });
  });
  return violations;
}

/**
 * from + (k / N) x (to - from) on every interpolable leaf (see the module comment). Throws when the two
 * bodies differ in structure: check `phaseInViolations` first.
 */
export function interpolateParameterBodies<Body>(from: Body, to: Body, stepIndex: number, stepCount: number): Body {
  if (!Number.isSafeInteger(stepCount) || stepCount < 1 || !Number.isSafeInteger(stepIndex)) {
    throw new RangeError(`invalid phase-in step ${stepIndex} of ${stepCount}`);
  }
  if (stepIndex < 0 || stepIndex >= stepCount)
    throw new RangeError(`phase-in step ${stepIndex} not in [0, ${stepCount})`);
  const violations = phaseInViolations(from, to);
  if (violations.length > 0) {
    const [first] = violations;
    throw new Error(`bodies differ in structure: ${first?.field}: ${first?.message}`);
  }
  const weight = new Decimal(stepIndex).div(stepCount);
  return interpolate('', from, to, weight) as Body;
}

function interpolate(path: string, from: unknown, to: unknown, weight: Decimal): unknown {
  if (Array.isArray(from) && Array.isArray(to)) {
    return from.map((value: unknown, index) => interpolate(`${path}.${index}`, value, to[index], weight));
  }
  if (isRecord(from) && isRecord(to)) {
    return Object.fromEntries(
      Object.keys(from).map((key) => [
        key,
        interpolate(path === '' ? key : `${path}.${key}`, from[key], to[key], weight),
      ]),
    );
  }
  switch (leafKind(path, from, to)) {
    case 'decimal': {
      const [start, end] = [new Decimal(from as string), new Decimal(to as string)];
      const places = Math.max(PHASE_IN_DECIMAL_PLACES_MIN, start.decimalPlaces(), end.decimalPlaces());
      return start.plus(end.minus(start).times(weight)).toDecimalPlaces(places, Decimal.ROUND_HALF_UP).toFixed();
    }
    case 'float': {
      const [start, end] = [new Decimal(from as number), new Decimal(to as number)];
      return start.plus(end.minus(start).times(weight)).toSignificantDigits(FLOAT_SIGNIFICANT_DIGITS).toNumber();
    }
    case 'integer':
    case 'equal':
      return from;
    case 'mismatch':
      throw new Error(`bodies differ at ${path}`);
  }
}

type LeafKind = 'decimal' | 'float' | 'integer' | 'equal' | 'mismatch';

function leafKind(path: string, from: unknown, to: unknown): LeafKind {
  const identity = IDENTITY_FIELDS.has(path.split('.')[0] ?? '') || IDENTITY_KEYS.has(path.split('.').at(-1) ?? '');
  if (identity || typeof from !== typeof to) return Object.is(from, to) ? 'equal' : 'mismatch';
  if (typeof from === 'number' && typeof to === 'number') {
    if (!Number.isFinite(from) || !Number.isFinite(to)) return 'mismatch';
    return Number.isInteger(from) && Number.isInteger(to) ? 'integer' : 'float';
  }
  if (typeof from === 'string' && typeof to === 'string') {
    if (from === to) return 'equal';
    return DECIMAL_TEXT.test(from) && DECIMAL_TEXT.test(to) ? 'decimal' : 'mismatch';
  }
  return Object.is(from, to) ? 'equal' : 'mismatch';
}

function walk(
  path: string,
  from: unknown,
  to: unknown,
  depth: number,
  report: (path: string, message: string) => void,
): void {
  if (depth > DEPTH_MAX) {
    report(path, `nested deeper than ${DEPTH_MAX} levels`);
    return;
  }
  const child = (key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);
  if (Array.isArray(from) || Array.isArray(to)) {
    if (!Array.isArray(from) || !Array.isArray(to)) {
      report(path, 'is a list in one set only');
      return;
    }
    if (from.length !== to.length) {
      report(path, `has ${to.length} entries, the set phased from has ${from.length}: lengths must match`);
      return;
    }
    from.forEach((value: unknown, index) => walk(child(index), value, to[index], depth + 1, report));
    return;
  }
  if (isRecord(from) || isRecord(to)) {
    if (!isRecord(from) || !isRecord(to)) {
      report(path, 'is an object in one set only');
      return;
    }
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const key of keys) {
      if (!Object.hasOwn(from, key)) report(child(key), 'only in the new set: fields must match');
      else if (!Object.hasOwn(to, key)) report(child(key), 'only in the set phased from: fields must match');
      else walk(child(key), from[key], to[key], depth + 1, report);
    }
    return;
  }
  if (leafKind(path, from, to) === 'mismatch') {
    report(path, `${JSON.stringify(from)} -> ${JSON.stringify(to)}: not numeric, must be equal to phase in`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function assertPeriod(periodMs: number): void {
  if (!isPhaseInPeriodMs(periodMs)) throw new RangeError(`invalid phase-in period ${periodMs} ms`);
}
