// npm run api-key -- --role member --firm ALPHA --label "desk 1" [--expires 2027-01-01T00:00:00Z]
//                    --role venue --venue DEMO --label feed | --role custody --label bot
// Issues an API key on DATABASE_URL or the default PostgreSQL and prints it once: only its SHA-256 is
// stored. The admin service issues keys over HTTP (POST /v1/api-keys); this bootstraps the first ones.
import { parseArgs } from 'node:util';
import { build, ensureInstalled, log } from './lib/workspace.mjs';
import { ensurePostgres } from './lib/services.mjs';
import { withDataSource } from './lib/dist.mjs';

const USAGE =
  'usage: npm run api-key -- --role member|venue|custody|admin --label "desk 1" [--firm CODE] [--venue CODE] [--expires ISO-8601]';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    firm: { type: 'string' },
    venue: { type: 'string' },
    label: { type: 'string' },
    expires: { type: 'string' },
  },
  strict: true,
});
if (values.role === undefined || values.label === undefined) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(2);
}
const expiresAt = values.expires === undefined ? null : new Date(values.expires);
if (expiresAt !== null && Number.isNaN(expiresAt.getTime())) {
  process.stderr.write(`--expires must be an ISO-8601 instant, such as 2027-01-01T00:00:00Z\n`);
  process.exit(2);
}

await ensureInstalled();
await build();
const postgres = await ensurePostgres();
try {
  await withDataSource(postgres.url, async (dataSource, persistence) => {
    try {
      const issued = await persistence.issueApiKeyByCode(
        dataSource,
        {
          role: values.role,
          label: values.label,
          expiresAt,
          ...(values.firm === undefined ? {} : { firmCode: values.firm }),
          ...(values.venue === undefined ? {} : { venueCode: values.venue }),
        },
        'cli:issue-api-key',
        Date.now(),
      );
      log(`issued ${issued.role} key ${issued.id} "${issued.label}" (shown once; store it now):`);
      process.stdout.write(`${issued.key}\n`);
    } catch (error) {
      if (!(error instanceof persistence.ApiKeyError)) throw error;
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    }
  });
} finally {
  await postgres.stop();
}
