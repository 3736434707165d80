/** The `extensions.code` of every refusal of the abuse limits. */
export type SecurityRefusalCode =
  | 'QUERY_TOO_DEEP'
  | 'TOO_MANY_ALIASES'
  | 'QUERY_TOO_COSTLY'
  | 'INTROSPECTION_DISABLED'
  | 'BATCH_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED';

/** Extra, safe facts a client may act on (limits, measured values, when to retry). */
export type SecurityRefusalExtensions = Readonly<Record<string, number>>;

/**
 * A request refused by an abuse limit, before execution. Thrown from the Mercurius hooks or carried as
 * the `originalError` of a validation error; the API's error formatter turns it into its code, its
 * extensions and its HTTP status.
 */
export class SecurityRefusal extends Error {
  constructor(
    readonly code: SecurityRefusalCode,
    message: string,
    readonly statusCode: number,
    readonly extensions: SecurityRefusalExtensions = {},
  ) {
    super(message);
    this.name = 'SecurityRefusal';
  }
}
