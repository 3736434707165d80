import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AdminPrincipal, AdminRole } from './admin-role.js';

export const ADMIN_ROLES_METADATA = 'novation:admin-roles';

/**
 * Requires a verified admin token holding one of `roles` (all roles when none are named). Routes without
 * this decorator (version, health, docs) are public.
 */
export const AdminRoles = (...roles: AdminRole[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ADMIN_ROLES_METADATA, roles);

/** A request the admin guard has let through, with who sent it. */
export interface AdminRequest extends FastifyRequest {
  adminPrincipal?: AdminPrincipal;
}

/** The principal the guard verified; only usable on routes with @AdminRoles. */
export const CurrentAdmin = createParamDecorator((_data: unknown, context: ExecutionContext): AdminPrincipal => {
  const principal = context.switchToHttp().getRequest<AdminRequest>().adminPrincipal;
  if (principal === undefined) throw new Error('CurrentAdmin used on a route without @AdminRoles');
  return principal;
});
