import { InputException } from '../input.exception.js';

/** Longest cursor accepted: every cursor this API hands out is far shorter. */
const CURSOR_LENGTH_MAX = 200;

/**
 * Opaque cursors: base64url of `<kind>:<key>`. The kind stops a cursor of one list being used on
 * another; the key is what the list is ordered by, validated by the caller's `keyPattern`.
 */
export function encodeCursor(kind: string, key: string): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string, keyPattern: RegExp, field = 'after'): string {
  const invalid = () => new InputException('INVALID_CURSOR', `not a cursor of this list`, field);
  if (cursor.length === 0 || cursor.length > CURSOR_LENGTH_MAX || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const prefix = `${kind}:`;
  if (!decoded.startsWith(prefix)) throw invalid();
  const key = decoded.slice(prefix.length);
  if (!keyPattern.test(key)) throw invalid();
  return key;
}
