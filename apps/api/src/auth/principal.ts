import type { ApiKeyRole } from '@novation/persistence';

/** Who is calling: resolved from the API key once per request, trusted by every resolver after the guard. */
export interface Principal {
  readonly keyId: string;
  readonly role: ApiKeyRole;
  readonly label: string;
  /** Set exactly for role member. */
  readonly memberFirmId: string | null;
  /** Set exactly for role venue. */
  readonly venueId: string | null;
}
