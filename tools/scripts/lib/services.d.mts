// Types for services.mjs (plain JS so it runs before `npm install`).
export interface RunningPostgres {
  readonly url: string;
  readonly embedded: boolean;
  stop(): Promise<void>;
}
export const EMBEDDED_POSTGRES_PORT: number;
export const DEFAULT_DATABASE_NAME: string;
export function isPortOpen(host: string, port: number, timeoutMs?: number): Promise<boolean>;
export function ensurePostgres(environment?: Record<string, string | undefined>): Promise<RunningPostgres>;
export function startEmbeddedPostgres(dataDirectory: string, port: number): Promise<RunningPostgres>;
export function ensureDatabase(url: URL): Promise<void>;
export function ensureRedis(environment?: Record<string, string | undefined>): Promise<string>;
export function embeddedPostgresBinary(name: string): string;
export function unreachableForPostgresUser(paths: readonly string[]): string | undefined;
