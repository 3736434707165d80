import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { ApiKeyService } from '../../auth/api-key.service.js';
import { authorizationDigest } from '../../security/failed-authentication.gate.js';
import type { OperationRateLimiter } from '../../security/rate-limiter.js';
import { isCacheableDocument, responseCacheKey, type ResponseCache, type ResponseReads } from './response-cache.js';

const GRAPHQL_PATH = '/graphql';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const OK = 200;

/** A request that missed the cache and may fill it once it has run. */
interface Candidate {
  readonly key: string;
  readonly reads: ResponseReads;
  /** Set by the GraphQL hooks: the key that ran it, once the document proved cacheable and ran without errors. */
  keyId: string | null;
  cacheable: boolean;
}

const candidates = new WeakMap<FastifyRequest, Candidate>();

/** The reads recorder of a request that may fill the response cache (null otherwise). */
export function responseReadsOf(request: FastifyRequest | undefined): ResponseReads | null {
  return request === undefined ? null : (candidates.get(request)?.reads ?? null);
}

interface GraphqlBody {
  readonly query: string;
  readonly operationName?: unknown;
  readonly variables?: unknown;
}

function graphqlBody(request: FastifyRequest): GraphqlBody | null {
  if (request.method !== 'POST' || request.routeOptions.url !== GRAPHQL_PATH) return null;
  const body = request.body as Partial<GraphqlBody> | null | undefined;
  return body !== null && typeof body === 'object' && typeof body.query === 'string' ? (body as GraphqlBody) : null;
}

export interface ResponseCacheDependencies {
  readonly cache: ResponseCache;
  /** The authenticated-key cache (CachedApiKeyService): a hit must stay cheap to authenticate. */
  readonly apiKeys: ApiKeyService;
  readonly limiter: OperationRateLimiter;
}

/**
 * Serves a cached response before GraphQL runs at all, and fills the cache after a cacheable query ran.
 * A hit is served only to the key that produced it, after the key is authenticated again (a revoked or
 * expired key falls through to the normal path and its refusal) and the operation is counted against the
 * key's rate limit (a refusal falls through too, and is answered by the normal path's RATE_LIMITED).
 */
export function installResponseCache(fastify: FastifyInstance, dependencies: ResponseCacheDependencies): void {
  const { cache, apiKeys, limiter } = dependencies;
  fastify.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const body = graphqlBody(request);
    const authorization = request.headers.authorization;
    if (body === null || authorization === undefined) return;
    const key = responseCacheKey(authorizationDigest(authorization), body);
    const hit = cache.get(key);
    if (hit !== undefined) {
      const principal = await apiKeys.authenticate(authorization).catch(() => null);
      if (principal !== null && principal.keyId === hit.keyId && (await limiter.forKey(principal.keyId)).allowed) {
        return reply.type(JSON_CONTENT_TYPE).send(hit.payload);
      }
    }
    candidates.set(request, { key, reads: cache.begin(), keyId: null, cacheable: false });
    return undefined;
  });
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
    const candidate = candidates.get(request);
    if (
      candidate !== undefined &&
      candidate.cacheable &&
      candidate.keyId !== null &&
      reply.statusCode === OK &&
      typeof payload === 'string'
    ) {
      cache.set(candidate.key, candidate.keyId, payload, candidate.reads);
    }
    done(null, payload);
  });
}

/** Mercurius `preExecution`: the document decides whether the request may fill the cache. */
export function markCacheableDocument(schema: GraphQLSchema, document: DocumentNode, request?: FastifyRequest): void {
  const candidate = request === undefined ? undefined : candidates.get(request);
  if (candidate !== undefined) candidate.cacheable = isCacheableDocument(schema, document);
}

/** Mercurius `onResolution`: an execution with errors is never cached; one without is, for its key. */
export function markResolved(errors: readonly unknown[] | undefined, keyId: string | null, request?: FastifyRequest) {
  const candidate = request === undefined ? undefined : candidates.get(request);
  if (candidate === undefined) return;
  if (errors !== undefined && errors.length > 0) candidate.cacheable = false;
  candidate.keyId = keyId;
}
