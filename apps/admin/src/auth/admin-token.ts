import type { NovationConfig } from '@novation/config';
import { SignJWT, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { AdminAuthException } from './admin-auth.exception.js';
import { isAdminRole, type AdminPrincipal, type AdminRole } from './admin-role.js';

export type AdminTokenSettings = NovationConfig['adminToken'];

/** The only algorithm accepted: an `alg` of none, RS256 or anything else is refused before verification. */
export const ADMIN_TOKEN_ALGORITHM = 'HS256';
/** Longer bearer values are refused unread (a real token is a few hundred characters). */
export const ADMIN_TOKEN_LENGTH_MAX = 4_096;
/** Clock skew tolerated on exp and iat, in seconds. */
export const ADMIN_TOKEN_CLOCK_TOLERANCE_SECONDS = 5;
/** Admin names: what audit rows record as the actor. */
const SUBJECT_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
/** Prefix of member API keys: they authenticate the member API, never the admin service. */
const MEMBER_API_KEY_PREFIX = 'nov_';

export interface IssueAdminTokenInput {
  readonly subject: string;
  readonly roles: readonly AdminRole[];
  readonly ttlSeconds: number;
  readonly nowEpochMs: number;
}

/** Signs an admin token; refuses a subject, role list or lifetime the verifier would refuse. */
export async function issueAdminToken(settings: AdminTokenSettings, input: IssueAdminTokenInput): Promise<string> {
  if (!SUBJECT_PATTERN.test(input.subject)) {
    throw new RangeError(`subject must match ${SUBJECT_PATTERN.source}`);
  }
  if (input.roles.length === 0 || !input.roles.every(isAdminRole)) {
    throw new RangeError('at least one role of risk-officer, operations, auditor');
  }
  if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < 1 || input.ttlSeconds > settings.ttlMaxSeconds) {
    throw new RangeError(`ttl must be 1 to ${settings.ttlMaxSeconds} seconds`);
  }
  const issuedAtSeconds = Math.floor(input.nowEpochMs / 1_000);
  return new SignJWT({ roles: [...new Set(input.roles)] })
    .setProtectedHeader({ alg: ADMIN_TOKEN_ALGORITHM, typ: 'JWT' })
    .setSubject(input.subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(issuedAtSeconds)
    .setExpirationTime(issuedAtSeconds + input.ttlSeconds)
    .sign(secretKey(settings));
}

/**
 * Verifies a bearer value and returns who it names, or throws an AdminAuthException saying why not:
 * member API keys, any algorithm but HS256 (including `none`), a bad signature, the wrong issuer or
 * audience, a missing or past `exp`, a lifetime above the configured maximum, or malformed claims.
 */
export async function verifyAdminToken(
  settings: AdminTokenSettings,
  token: string,
  nowEpochMs: number,
): Promise<AdminPrincipal> {
  if (token.startsWith(MEMBER_API_KEY_PREFIX)) {
    throw new AdminAuthException('MEMBER_API_KEY_REFUSED', 'member API keys are not accepted by the admin service');
  }
  if (token.length > ADMIN_TOKEN_LENGTH_MAX) throw new AdminAuthException('MALFORMED_TOKEN', 'token too long');
  let algorithm: unknown;
  try {
    algorithm = decodeProtectedHeader(token).alg;
  } catch {
    throw new AdminAuthException('MALFORMED_TOKEN', 'not a JWS compact token');
  }
  if (algorithm !== ADMIN_TOKEN_ALGORITHM) {
    throw new AdminAuthException('UNSUPPORTED_ALGORITHM', `only ${ADMIN_TOKEN_ALGORITHM} tokens are accepted`);
  }
  const payload = await verifiedPayload(settings, token, nowEpochMs);
  const { sub, roles, exp, iat } = payload;
  if (typeof sub !== 'string' || !SUBJECT_PATTERN.test(sub)) {
    throw new AdminAuthException('INVALID_CLAIMS', 'sub must name the admin');
  }
  if (!Array.isArray(roles) || roles.length === 0 || roles.length > 8 || !roles.every(isAdminRole)) {
    throw new AdminAuthException('INVALID_CLAIMS', 'roles must list admin roles');
  }
  if (typeof exp !== 'number' || typeof iat !== 'number') {
    throw new AdminAuthException('INVALID_CLAIMS', 'exp and iat are required');
  }
  if (iat * 1_000 > nowEpochMs + ADMIN_TOKEN_CLOCK_TOLERANCE_SECONDS * 1_000) {
    throw new AdminAuthException('INVALID_CLAIMS', 'iat is in the future');
  }
  if (exp - iat > settings.ttlMaxSeconds) {
    throw new AdminAuthException('TOKEN_LIFETIME_TOO_LONG', `lifetime above ${settings.ttlMaxSeconds} s`);
  }
  return { subject: sub, roles: [...new Set(roles)] };
}

async function verifiedPayload(
  settings: AdminTokenSettings,
  token: string,
  nowEpochMs: number,
): Promise<Record<string, unknown>> {
  try {
    const { payload } = await jwtVerify(token, secretKey(settings), {
      algorithms: [ADMIN_TOKEN_ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ['exp', 'iat', 'sub'],
      currentDate: new Date(nowEpochMs),
      clockTolerance: ADMIN_TOKEN_CLOCK_TOLERANCE_SECONDS,
      typ: 'JWT',
    });
    return payload;
  } catch (error) {
    throw toAuthException(error);
  }
}

function toAuthException(error: unknown): AdminAuthException {
  if (error instanceof errors.JWTExpired) return new AdminAuthException('TOKEN_EXPIRED', 'token expired');
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AdminAuthException('INVALID_SIGNATURE', 'signature does not verify');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AdminAuthException('UNSUPPORTED_ALGORITHM', `only ${ADMIN_TOKEN_ALGORITHM} tokens are accepted`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return new AdminAuthException('WRONG_ISSUER', 'token from another issuer');
    if (error.claim === 'aud') return new AdminAuthException('WRONG_AUDIENCE', 'token for another audience');
    return new AdminAuthException('INVALID_CLAIMS', `claim ${error.claim} ${error.reason}`);
  }
  return new AdminAuthException('MALFORMED_TOKEN', 'token could not be read');
}

function secretKey(settings: AdminTokenSettings): Uint8Array {
  return new TextEncoder().encode(settings.secret);
}
