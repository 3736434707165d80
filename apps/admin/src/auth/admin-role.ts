/** What an admin may do: risk officers change parameters, operations run the platform, auditors read. */
export const ADMIN_ROLES = ['risk-officer', 'operations', 'auditor'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

export function isAdminRole(value: unknown): value is AdminRole {
  return typeof value === 'string' && (ADMIN_ROLES as readonly string[]).includes(value);
}

/** The verified identity behind a request. */
export interface AdminPrincipal {
  /** The admin's name (the token's `sub`); recorded as the actor of everything they do. */
  readonly subject: string;
  readonly roles: readonly AdminRole[];
}
