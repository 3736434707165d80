import 'reflect-metadata';
import { listenUntilSignal, loadConfigOrExit } from '@novation/platform';
import { createWorkerApp } from './worker.app.js';
import { WORKER_SERVICE_NAME } from './worker.module.js';

const config = loadConfigOrExit();
try {
  const app = await createWorkerApp(config);
  await listenUntilSignal(app, config.worker, config, WORKER_SERVICE_NAME);
} catch (error) {
  process.stderr.write(
    `${WORKER_SERVICE_NAME} failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
}
