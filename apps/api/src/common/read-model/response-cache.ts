import {
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLField,
  type GraphQLSchema,
} from 'graphql';
import type { InvalidatingCache } from './invalidating-cache.js';

/**
 * The fields with a resolver of their own whose reads all go through the read model's caches and are
 * recorded in the request's ResponseReads (Query.account records the account id; the account loaders
 * record what they read). A query whose every resolver-backed field is listed here depends on nothing
 * but those recorded groups, so its whole response can be kept until one of them changes. Fields without
 * a resolver of their own only copy a property of their parent. Anything else (statements, margin calls,
 * receipts, market data, what-if, the time-dependent or paged-from-the-database fields) is not cacheable.
 */
export const RESPONSE_CACHEABLE_FIELDS: ReadonlySet<string> = new Set([
  'Query.account',
  'Account.balances',
  'Account.positions',
  'Account.margin',
]);

/** The groups of the read-model caches a request read, and the caches' tickets taken before it read any. */
export interface ResponseReads {
  readonly accountsTicket: number;
  readonly marksTicket: number;
  readonly accounts: Set<string>;
  readonly marks: Set<string>;
}

interface CachedResponse {
  readonly keyId: string;
  readonly payload: string;
  readonly accountsTicket: number;
  readonly marksTicket: number;
  readonly accounts: readonly string[];
  readonly marks: readonly string[];
  readonly storedAtMs: number;
  readonly bytes: number;
}

export interface ResponseCacheOptions {
  /** Bound on the stored payloads (UTF-16 code units x 2); when full, everything is dropped. */
  readonly bytesMax: number;
  /** Largest single response kept. */
  readonly entryBytesMax: number;
  /** Safety net, as for the read model's own entries; invalidation is by change notification. */
  readonly maxAgeMs: number;
  readonly nowMs?: () => number;
}

const cacheableDocuments = new WeakMap<DocumentNode, boolean>();

/**
 * True for a field backed by a resolver method (`@Query`, `@ResolveField`...): Nest binds those methods to
 * their resolver instance, while a plain `@Field` gets its property-reading default resolver. The API's
 * e2e test lists every such field of the schema, so a new one shows up there and must be classified.
 */
export function hasOwnResolver(field: GraphQLField<unknown, unknown>): boolean {
  return field.resolve !== undefined && field.resolve.name.startsWith('bound ');
}

/**
 * True for a single query operation whose every resolver-backed field is in RESPONSE_CACHEABLE_FIELDS
 * (fragments included; `__typename` is allowed, the introspection fields are not). Memoised per parsed
 * document: Mercurius keeps one DocumentNode per query text, so this walk runs once per query text.
 */
export function isCacheableDocument(schema: GraphQLSchema, document: DocumentNode): boolean {
  const known = cacheableDocuments.get(document);
  if (known !== undefined) return known;
  const operations = document.definitions.filter((node) => node.kind === Kind.OPERATION_DEFINITION);
  let cacheable = operations.length === 1 && operations[0]?.operation === 'query';
  if (cacheable) {
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          if (node.name.value === '__typename') return undefined;
          const parent = typeInfo.getParentType();
          const field = typeInfo.getFieldDef();
          if (parent == null || field == null || node.name.value.startsWith('__')) {
            cacheable = false;
            return false;
          }
          if (hasOwnResolver(field) && !RESPONSE_CACHEABLE_FIELDS.has(`${parent.name}.${field.name}`)) {
            cacheable = false;
            return false;
          }
          return undefined;
        },
      }),
    );
  }
  cacheableDocuments.set(document, cacheable);
  return cacheable;
}

/** The cache key of one POST body under one Authorization header digest. */
export function responseCacheKey(
  authorizationDigest: string,
  body: { query: string; operationName?: unknown; variables?: unknown },
): string {
  const operationName = typeof body.operationName === 'string' ? body.operationName : '';
  return `${authorizationDigest}\u0000${operationName}\u0000${JSON.stringify(body.variables ?? null)}\u0000${body.query}`;
}

/**
 * Whole GraphQL responses of read-model-backed queries (see isCacheableDocument), per API key and request
 * body, valid exactly as long as every read-model group they were built from: an entry is served only if
 * the account and mark caches report none of its groups invalidated since the tickets taken before it
 * was computed (InvalidatingCache.unchangedSince), so it is as current as the read model itself, with
 * the same read-your-writes barrier after mutations. Per API instance, bounded in bytes; the caller still
 * authenticates the key and counts the operation against its rate limit on every hit, and only the key
 * that produced an entry is served it.
 */
export class ResponseCache {
  private readonly entries = new Map<string, CachedResponse>();
  private bytes = 0;
  private readonly nowMs: () => number;

  constructor(
    private readonly accounts: InvalidatingCache<unknown>,
    private readonly marks: InvalidatingCache<unknown>,
    private readonly options: ResponseCacheOptions,
  ) {
    if (!Number.isSafeInteger(options.bytesMax) || options.bytesMax < 1) {
      throw new RangeError('bytesMax must be a positive integer');
    }
    this.nowMs = options.nowMs ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Take before the request reads anything: the tickets its entry will be checked against. */
  begin(): ResponseReads {
    return {
      accountsTicket: this.accounts.ticket(),
      marksTicket: this.marks.ticket(),
      accounts: new Set(),
      marks: new Set(),
    };
  }

  /** The stored response for `key` if still current; a stale one is dropped. */
  get(key: string): { readonly keyId: string; readonly payload: string } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (
      this.nowMs() - entry.storedAtMs < this.options.maxAgeMs &&
      this.accounts.unchangedSince(entry.accountsTicket, entry.accounts) &&
      this.marks.unchangedSince(entry.marksTicket, entry.marks)
    ) {
      return entry;
    }
    this.delete(key, entry);
    return undefined;
  }

  /** Stores a response computed after `reads` was begun, unless what it read changed meanwhile. */
  set(key: string, keyId: string, payload: string, reads: ResponseReads): boolean {
    const bytes = 2 * (payload.length + key.length);
    if (bytes > this.options.entryBytesMax) return false;
    if (
      !this.accounts.unchangedSince(reads.accountsTicket, reads.accounts) ||
      !this.marks.unchangedSince(reads.marksTicket, reads.marks)
    ) {
      return false;
    }
    const previous = this.entries.get(key);
    if (previous !== undefined) this.delete(key, previous);
    if (this.bytes + bytes > this.options.bytesMax) this.clear();
    this.entries.set(key, {
      keyId,
      payload,
      accountsTicket: reads.accountsTicket,
      marksTicket: reads.marksTicket,
      accounts: [...reads.accounts],
      marks: [...reads.marks],
      storedAtMs: this.nowMs(),
      bytes,
    });
    this.bytes += bytes;
    return true;
  }

  /** Drops the entries of changed API keys (revoked, rotated), or all. */
  forgetKeys(keyIds: readonly string[] | 'all'): void {
    if (keyIds === 'all') {
      this.clear();
      return;
    }
    const changed = new Set(keyIds);
    for (const [key, entry] of this.entries) if (changed.has(entry.keyId)) this.delete(key, entry);
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  private delete(key: string, entry: CachedResponse): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
