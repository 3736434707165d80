import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { ApiKeyRole } from '@novation/persistence';
import type { ApiGraphqlContext } from '../common/graphql-context.js';
import { AuthException } from './auth.exception.js';

export const ROLES_METADATA = 'novation:roles';

/** Lets a request through when its principal has one of the roles named by `@Roles`. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<readonly ApiKeyRole[] | undefined>(ROLES_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    // Asserted rather than defaulted: a guard without roles would silently let everyone in.
    if (roles === undefined || roles.length === 0) throw new Error('RolesGuard used without @Roles');
    const { principal, authenticationFailed } = GqlExecutionContext.create(context).getContext<ApiGraphqlContext>();
    if (authenticationFailed) throw new Error('API key authentication unavailable');
    if (principal === null) throw new AuthException('UNAUTHENTICATED', 'a valid API key is required');
    if (!roles.includes(principal.role)) throw new AuthException('FORBIDDEN', 'this API key may not do this');
    return true;
  }
}
