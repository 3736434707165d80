import type { NovationConfig } from '@novation/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditService } from '../audit/audit.service.js';
import { AdminAuthException, httpStatusOfAdminAuthCode } from '../auth/admin-auth.exception.js';
import type { AdminPrincipal } from '../auth/admin-role.js';
import { verifyAdminToken } from '../auth/admin-token.js';

/** The cookie a browser carries to the board, set by POST /queues/session. */
export const BOARD_SESSION_COOKIE = 'novation_board_session';
/** Lifetime of a board session: short, as the cookie is a bearer credential scoped to /queues. */
export const BOARD_SESSION_TTL_SECONDS = 900;
/** Where the board is mounted. */
export const BOARD_BASE_PATH = '/queues';
/** Roles that may change queues (retry, clean, pause...); every other admin role sees the board read-only. */
export const BOARD_WRITE_ROLE = 'operations';

const READ_METHODS = new Set(['GET', 'HEAD']);
const BEARER_PREFIX = 'Bearer ';

/**
 * The board's gate, run on every request under /queues before Bull Board sees it. A request carries an
 * admin token either as `Authorization: Bearer <jwt>` (scripts, curl) or as the session cookie (a
 * browser, after POST /queues/session with its bearer token). No token, a member API key or a bad
 * token: 401. Any admin role may read; a method other than GET/HEAD (every Bull Board action) needs
 * `operations`, so auditors and risk officers see the board read-only (403 otherwise). Refusals are
 * audited like the guard's.
 */
export function boardAuthHook(config: NovationConfig, audit: AuditService) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    let principal: AdminPrincipal | undefined;
    try {
      principal = await verifyAdminToken(config.adminToken, tokenOf(request), Date.now());
      if (!READ_METHODS.has(request.method) && !principal.roles.includes(BOARD_WRITE_ROLE)) {
        throw new AdminAuthException('FORBIDDEN_ROLE', `changing queues requires the ${BOARD_WRITE_ROLE} role`);
      }
    } catch (error) {
      if (!(error instanceof AdminAuthException)) throw error;
      await audit.record({
        actor: principal?.subject ?? 'anonymous',
        action: 'auth.refused',
        subjectType: 'http-route',
        subjectId: `${request.method} ${BOARD_BASE_PATH}`,
        details: { reason: error.code, message: error.message, method: request.method, url: request.url.slice(0, 512) },
      });
      const status = httpStatusOfAdminAuthCode(error.code);
      if (status === 401) void reply.header('WWW-Authenticate', 'Bearer realm="novation-admin"');
      await reply.status(status).send({ statusCode: status, code: error.code, message: error.message });
    }
  };
}

function tokenOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header !== undefined && header.trim() !== '') {
    if (header.startsWith(BEARER_PREFIX)) return header.slice(BEARER_PREFIX.length).trim();
    if (header.split(/\s+/).some((part) => part.startsWith('nov_'))) {
      throw new AdminAuthException('MEMBER_API_KEY_REFUSED', 'member API keys are not accepted by the admin service');
    }
    throw new AdminAuthException('MALFORMED_TOKEN', 'expected "Authorization: Bearer <token>"');
  }
  const cookie = cookieValue(request.headers.cookie, BOARD_SESSION_COOKIE);
  if (cookie === undefined)
    throw new AdminAuthException('MISSING_TOKEN', 'an admin bearer token or board session is required');
  return cookie;
}

/** The value of one cookie in a Cookie header; no dependency for one name. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
