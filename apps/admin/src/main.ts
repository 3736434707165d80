import 'reflect-metadata';
import { runService } from '@novation/platform';
import { createAdminApp } from './admin.app.js';
import { ADMIN_SERVICE_NAME } from './admin.module.js';

await runService(ADMIN_SERVICE_NAME, createAdminApp, (config) => config.admin);
