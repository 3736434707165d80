import type { z } from 'zod';
import { DecimalParseError } from '@novation/money';
import { CanonicalJsonError, ImpliedVolatilityError, MarginError, OptionPricingError } from '@novation/risk';

/**
 * Exit codes: 0 success, 1 a replayed receipt does not match, 2 the caller's input or arguments are wrong,
 * 3 the engine refused the inputs.
 */
export const EXIT_SUCCESS = 0;
export const EXIT_RECEIPT_MISMATCH = 1;
export const EXIT_INVALID_INPUT = 2;
export const EXIT_DOMAIN_ERROR = 3;

export interface CliErrorBody {
  readonly code: string;
  readonly field?: string;
  readonly message: string;
}

export function errorJson(body: CliErrorBody): string {
  return `${JSON.stringify({ error: body })}\n`;
}

/**
 * The first zod issue as an INVALID_INPUT error naming the field by its dotted path ('' is the whole
 * document). For an unknown key the path is the key itself, so the user sees which key to delete.
 */
export function invalidInputFromZod(error: z.ZodError): CliErrorBody {
  const [issue] = error.issues;
  if (issue === undefined) return { code: 'INVALID_INPUT', field: '', message: 'invalid input' };
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return { code: 'INVALID_INPUT', field: path.join('.'), message: issue.message };
}

/**
 * Maps an error thrown by a command to its exit code and JSON body. Typed domain errors keep their own
 * code; a RangeError is a precondition of a pure lib (e.g. too few observations) and becomes
 * DOMAIN_PRECONDITION. Anything else is a bug and is rethrown so it is not disguised as bad input.
 */
export function domainErrorBody(error: unknown): { readonly exitCode: number; readonly body: CliErrorBody } {
  if (error instanceof OptionPricingError || error instanceof ImpliedVolatilityError) {
    return { exitCode: EXIT_DOMAIN_ERROR, body: { code: error.code, message: error.message } };
  }
  if (error instanceof MarginError) {
    const field = error.field === undefined ? {} : { field: error.field };
    // A malformed request is the caller's input; anything else is the engine refusing valid input.
    if (error.code === 'INVALID_REQUEST') {
      return { exitCode: EXIT_INVALID_INPUT, body: { code: 'INVALID_INPUT', ...field, message: error.message } };
    }
    return { exitCode: EXIT_DOMAIN_ERROR, body: { code: error.code, ...field, message: error.message } };
  }
  if (error instanceof CanonicalJsonError) {
    return { exitCode: EXIT_INVALID_INPUT, body: { code: 'INVALID_INPUT', field: error.path, message: error.message } };
  }
  if (error instanceof DecimalParseError) {
    return { exitCode: EXIT_INVALID_INPUT, body: { code: 'INVALID_INPUT', message: error.message } };
  }
  if (error instanceof RangeError) {
    return { exitCode: EXIT_DOMAIN_ERROR, body: { code: 'DOMAIN_PRECONDITION', message: error.message } };
  }
  throw error;
}
