// npm run migrate [-- up | down [steps]]: applies (default) or reverts migrations on DATABASE_URL
// (or the PostgreSQL that npm start would use).
import { build, ensureInstalled, log } from './lib/workspace.mjs';
import { ensurePostgres } from './lib/services.mjs';
import { withDataSource } from './lib/dist.mjs';

const [direction = 'up', stepsText = '1'] = process.argv.slice(2);
if (direction !== 'up' && direction !== 'down') {
  process.stderr.write('usage: npm run migrate -- [up | down [steps]]\n');
  process.exit(2);
}
await ensureInstalled();
await build();
const postgres = await ensurePostgres();
try {
  await withDataSource(postgres.url, async (dataSource, persistence) => {
    if (direction === 'up') {
      const applied = await persistence.migrateUp(dataSource);
      log(applied.length === 0 ? 'schema is up to date' : `applied ${applied.join(', ')}`);
    } else {
      await persistence.migrateDown(dataSource, Number(stepsText));
      log(`reverted ${stepsText} migration(s)`);
    }
  });
} finally {
  await postgres.stop();
}
