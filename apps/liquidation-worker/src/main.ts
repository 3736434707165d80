import 'reflect-metadata';
import { runService } from '@novation/platform';
import { createWorkerApp } from './worker.app.js';
import { WORKER_SERVICE_NAME } from './worker.module.js';

await runService(WORKER_SERVICE_NAME, createWorkerApp, (config) => config.worker);
