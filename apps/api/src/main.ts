import 'reflect-metadata';
import { listenUntilSignal, loadConfigOrExit } from '@novation/platform';
import { createApiApp } from './api.app.js';
import { API_SERVICE_NAME } from './api.module.js';

const config = loadConfigOrExit();
try {
  const app = await createApiApp(config);
  await listenUntilSignal(app, config.api, config, API_SERVICE_NAME);
} catch (error) {
  process.stderr.write(
    `${API_SERVICE_NAME} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
