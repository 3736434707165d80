// npm run seed: migrates, then seeds the demo market (idempotent) on DATABASE_URL or the default PostgreSQL.
import { build, ensureInstalled, log } from './lib/workspace.mjs';
import { ensurePostgres } from './lib/services.mjs';
import { withDataSource } from './lib/dist.mjs';

await ensureInstalled();
await build();
const postgres = await ensurePostgres();
try {
  await withDataSource(postgres.url, async (dataSource, persistence) => {
    await persistence.migrateUp(dataSource);
    const summary = await persistence.seedDemoMarket(dataSource, new Date());
    log(`demo market: ${JSON.stringify(summary)}`);
  });
} finally {
  await postgres.stop();
}
