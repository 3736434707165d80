import { SetMetadata, UseGuards, applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { ApiKeyRole } from '@novation/persistence';
import type { ApiGraphqlContext } from '../common/graphql-context.js';
import { AuthException } from './auth.exception.js';
import type { Principal } from './principal.js';
import { ROLES_METADATA, RolesGuard } from './roles.guard.js';

/** Only principals with one of `roles` may call: UNAUTHENTICATED without a valid key, FORBIDDEN otherwise. */
export function Roles(...roles: [ApiKeyRole, ...ApiKeyRole[]]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ROLES_METADATA, roles), UseGuards(RolesGuard));
}

/** The authenticated principal; only under `@Roles`, which guarantees there is one. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const { principal } = GqlExecutionContext.create(context).getContext<ApiGraphqlContext>();
  if (principal === null) throw new AuthException('UNAUTHENTICATED', 'a valid API key is required');
  return principal;
});
