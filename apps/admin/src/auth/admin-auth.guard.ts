import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NovationConfig } from '@novation/config';
import { NOVATION_CONFIG } from '@novation/platform';
import { AuditService } from '../audit/audit.service.js';
import { AdminAuthException } from './admin-auth.exception.js';
import type { AdminPrincipal, AdminRole } from './admin-role.js';
import { ADMIN_ROLES_METADATA, type AdminRequest } from './admin-roles.decorator.js';
import { verifyAdminToken } from './admin-token.js';

const BEARER_PREFIX = 'Bearer ';

/**
 * Authenticates every route marked with @AdminRoles: a valid admin JWT (401 otherwise) holding one of the
 * route's roles (403 otherwise). Every refusal is written to audit_log with the reason, never the token.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
    @Inject(NOVATION_CONFIG) private readonly config: NovationConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const roles = this.reflector.getAllAndOverride<AdminRole[] | undefined>(ADMIN_ROLES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (roles === undefined) return true;
    const request = context.switchToHttp().getRequest<AdminRequest>();
    let principal: AdminPrincipal | undefined;
    try {
      principal = await verifyAdminToken(this.config.adminToken, bearerOf(request), Date.now());
      if (roles.length > 0 && !principal.roles.some((role) => roles.includes(role))) {
        throw new AdminAuthException('FORBIDDEN_ROLE', `requires one of: ${roles.join(', ')}`);
      }
    } catch (error) {
      if (error instanceof AdminAuthException) await this.recordRefusal(request, error, principal);
      throw error;
    }
    request.adminPrincipal = principal;
    return true;
  }

  private async recordRefusal(
    request: AdminRequest,
    error: AdminAuthException,
    principal: AdminPrincipal | undefined,
  ): Promise<void> {
    const route = request.routeOptions.url ?? 'unknown';
    await this.audit.record({
      actor: principal?.subject ?? 'anonymous',
      action: 'auth.refused',
      subjectType: 'http-route',
      subjectId: `${request.method} ${route}`,
      details: {
        reason: error.code,
        message: error.message,
        method: request.method,
        url: request.url.slice(0, 512),
        ...(principal === undefined ? {} : { roles: principal.roles }),
      },
    });
  }
}

function bearerOf(request: AdminRequest): string {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    throw new AdminAuthException('MISSING_TOKEN', 'an admin bearer token is required');
  }
  if (!header.startsWith(BEARER_PREFIX)) {
    const value = header.trim();
    // A bare member key (or `ApiKey nov_...`) is named as such, so the caller learns what went wrong.
    if (value.split(/\s+/).some((part) => part.startsWith('nov_'))) {
      throw new AdminAuthException('MEMBER_API_KEY_REFUSED', 'member API keys are not accepted by the admin service');
    }
    throw new AdminAuthException('MALFORMED_TOKEN', 'expected "Authorization: Bearer <token>"');
  }
  return header.slice(BEARER_PREFIX.length).trim();
}
