// npm run audit: runs the clearing-core invariant checks (read-only SQL, libs/persistence audit/auditor.ts)
// on DATABASE_URL (or the PostgreSQL that npm start would use). Exits 1 and prints the violations as JSON
// when any invariant is broken, so it can run from cron or CI against a production replica.
import { build, ensureInstalled, log } from './lib/workspace.mjs';
import { ensurePostgres } from './lib/services.mjs';
import { withDataSource } from './lib/dist.mjs';

await ensureInstalled();
await build();
const postgres = await ensurePostgres();
let violationCount = 0;
try {
  await withDataSource(postgres.url, async (dataSource, persistence) => {
    // The checks read tables of the latest schema; an older schema is a setup problem, not a violation.
    if (await dataSource.showMigrations()) {
      log('the schema has pending migrations: run `npm run migrate` first');
      violationCount = -1;
      return;
    }
    const violations = await persistence.auditInvariants(dataSource);
    violationCount = violations.length;
    if (violations.length === 0) {
      log(`all ${persistence.AUDIT_CHECKS.length} invariants hold`);
    } else {
      process.stdout.write(`${JSON.stringify(violations, null, 2)}\n`);
      log(`${violations.length} invariant(s) broken`);
    }
  });
} finally {
  await postgres.stop();
}
process.exitCode = violationCount === 0 ? 0 : violationCount < 0 ? 2 : 1;
