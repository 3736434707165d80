import 'reflect-metadata';
import { runService } from '@novation/platform';
import { createApiApp } from './api.app.js';
import { API_SERVICE_NAME } from './api.module.js';

await runService(API_SERVICE_NAME, createApiApp, (config) => config.api);
