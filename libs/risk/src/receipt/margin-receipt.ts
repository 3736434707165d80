import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/**
 * Version of the margin engine whose results receipts vouch for. Bump it whenever a model change can
 * alter a result for the same inputs, so an old receipt is replayed against the engine that made it.
 */
export const ENGINE_VERSION = '1.0.0';

/** Everything a margin figure depends on. Each part must have a canonical JSON form (canonical-json.ts). */
export interface MarginReceiptInputs {
  readonly engineVersion: string;
  /** Margin model name, e.g. 'standard-option-margin'. */
  readonly model: string;
  readonly parameterSetVersion: string;
  readonly parameters: unknown;
  readonly positions: unknown;
  readonly collateral: unknown;
  readonly marketSnapshot: unknown;
}

/** A published margin result with the digest of the inputs it came from, so anyone can replay it. */
export interface MarginReceipt<Result> extends MarginReceiptInputs {
  /** SHA-256 hex of the canonical JSON of the inputs (receiptHash). */
  readonly inputsHash: string;
  /** SHA-256 hex of the canonical JSON of the result. */
  readonly resultHash: string;
  readonly result: Result;
}

export type MarginReceiptVerification =
  | { readonly match: true }
  | {
      readonly match: false;
      /** Dotted path of the first field that differs, e.g. 'inputsHash' or 'result.initialMargin'. */
      readonly field: string;
      /** Canonical JSON of the value in the receipt ('undefined' when absent). */
      readonly expected: string;
      /** Canonical JSON of the recomputed value ('undefined' when absent). */
      readonly actual: string;
    };

/** SHA-256 hex of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Digest of margin inputs. Only the seven named fields are hashed (picked explicitly), so extra fields on
 * the argument, such as a receipt's own hashes and result, never change it.
 */
export function receiptHash(inputs: MarginReceiptInputs): string {
  return sha256Hex(canonicalJson(pickInputs(inputs)));
}

export function createMarginReceipt<Result>(inputs: MarginReceiptInputs, result: Result): MarginReceipt<Result> {
  return {
    ...pickInputs(inputs),
    inputsHash: receiptHash(inputs),
    resultHash: sha256Hex(canonicalJson(result)),
    result,
  };
}

/**
 * Replays a receipt: checks the inputs hash, recomputes the result with `recompute` (a pure function of
 * the inputs) and compares it field by field in canonical form, reporting the first difference in key
 * order. Values are compared after canonicalisation, so a Decimal and its toFixed() string are equal.
 */
export function verifyMarginReceipt<Result>(
  receipt: MarginReceipt<Result>,
  recompute: (inputs: MarginReceiptInputs) => Result,
): MarginReceiptVerification {
  const inputsHash = receiptHash(receipt);
  if (inputsHash !== receipt.inputsHash) {
    return {
      match: false,
      field: 'inputsHash',
      expected: JSON.stringify(receipt.inputsHash),
      actual: JSON.stringify(inputsHash),
    };
  }
  const expected: unknown = JSON.parse(canonicalJson(receipt.result));
  const actual: unknown = JSON.parse(canonicalJson(recompute(pickInputs(receipt))));
  const difference = firstDifference(expected, actual, 'result');
  if (difference !== undefined) return difference;
  const resultHash = sha256Hex(canonicalJson(receipt.result));
  if (resultHash !== receipt.resultHash) {
    return {
      match: false,
      field: 'resultHash',
      expected: JSON.stringify(receipt.resultHash),
      actual: JSON.stringify(resultHash),
    };
  }
  return { match: true };
}

function pickInputs(inputs: MarginReceiptInputs): MarginReceiptInputs {
  const { engineVersion, model, parameterSetVersion, parameters, positions, collateral, marketSnapshot } = inputs;
  return { engineVersion, model, parameterSetVersion, parameters, positions, collateral, marketSnapshot };
}

/** First differing leaf of two parsed canonical JSON values, walking object keys in sorted order. */
function firstDifference(
  expected: unknown,
  actual: unknown,
  path: string,
): Extract<MarginReceiptVerification, { match: false }> | undefined {
  if (isRecord(expected) && isRecord(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    for (const key of keys) {
      const difference = firstDifference(expected[key], actual[key], `${path}.${key}`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const length = Math.max(expected.length, actual.length);
    for (let index = 0; index < length; index += 1) {
      const difference = firstDifference(expected[index], actual[index], `${path}.${index}`);
      if (difference !== undefined) return difference;
    }
    return undefined;
  }
  const expectedText = describe(expected);
  const actualText = describe(actual);
  return expectedText === actualText
    ? undefined
    : { match: false, field: path, expected: expectedText, actual: actualText };
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : canonicalJson(value);
}
