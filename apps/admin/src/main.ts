import 'reflect-metadata';
import { listenUntilSignal, loadConfigOrExit } from '@novation/platform';
import { createAdminApp } from './admin.app.js';
import { ADMIN_SERVICE_NAME } from './admin.module.js';

const config = loadConfigOrExit();
try {
  const app = await createAdminApp(config);
  await listenUntilSignal(app, config.admin, config, ADMIN_SERVICE_NAME);
} catch (error) {
  process.stderr.write(
    `${ADMIN_SERVICE_NAME} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
