// Loads compiled libs from dist/ (after `build()`), resolving @novation/* with the runtime hook.
import { workspaceRoot } from './workspace.mjs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function loadDist() {
  await import(pathToFileURL(path.join(workspaceRoot, 'tools/runtime/register.mjs')).href);
  const [config, persistence] = await Promise.all([import('@novation/config'), import('@novation/persistence')]);
  return { config, persistence };
}

/** Runs `work(dataSource)` on a DataSource for `databaseUrl`, closing it afterwards. */
export async function withDataSource(databaseUrl, work) {
  const { config, persistence } = await loadDist();
  const novationConfig = config.loadConfig({ ...process.env, DATABASE_URL: databaseUrl });
  const dataSource = persistence.createDataSource(novationConfig, 'novation-tools');
  await dataSource.initialize();
  try {
    return await work(dataSource, persistence);
  } finally {
    await dataSource.destroy();
  }
}
