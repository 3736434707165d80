import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  API_ERROR_CODES,
  ErrorCode,
  PUBLIC_ERROR_CODE_DESCRIPTIONS,
  SECURITY_ERROR_CODE_DESCRIPTIONS,
} from './error-code.js';

const SOURCE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Quoted upper-case codes a source file returns or throws: `return 'X'`, `code: 'X'`, `new SecurityRefusal('X'`. */
function emittedCodes(relativePath: string, pattern: RegExp): Set<string> {
  const source = readFileSync(join(SOURCE_ROOT, relativePath), 'utf8');
  return new Set([...source.matchAll(pattern)].map((match) => match[1] as string));
}

describe('the ErrorCode enum and the error mapper', () => {
  it('lists exactly the codes the common mapper emits', () => {
    // The type PublicErrorCode already ties the mapper to the list at compile time; this also catches a
    // listed code that nothing emits any more.
    const emitted = emittedCodes('common/graphql-error.mapper.ts', /(?:return|code:) '([A-Z_]+)'/g);
    expect([...emitted].sort()).toEqual(Object.keys(PUBLIC_ERROR_CODE_DESCRIPTIONS).sort());
  });

  it('lists exactly the refusal codes of the security layer', () => {
    const files = readdirSync(join(SOURCE_ROOT, 'security')).filter(
      (name) => name.endsWith('.ts') && !name.includes('spec'),
    );
    const thrown = new Set(
      files.flatMap((name) => [...emittedCodes(`security/${name}`, /SecurityRefusal\(\s*'([A-Z_]+)'/g)]),
    );
    expect([...thrown].sort()).toEqual(Object.keys(SECURITY_ERROR_CODE_DESCRIPTIONS).sort());
  });

  it('gives the GraphQL enum one value per code, named as the code, sorted', () => {
    const all = [...Object.keys(PUBLIC_ERROR_CODE_DESCRIPTIONS), ...Object.keys(SECURITY_ERROR_CODE_DESCRIPTIONS)];
    expect(API_ERROR_CODES).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
    expect(Object.entries(ErrorCode)).toEqual(API_ERROR_CODES.map((code) => [code, code]));
  });
});
