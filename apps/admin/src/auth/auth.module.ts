import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module.js';
import { AdminAuthExceptionFilter } from './admin-auth-exception.filter.js';
import { AdminAuthGuard } from './admin-auth.guard.js';

/** Admin JWT authentication and role checks for every route marked with @AdminRoles. */
@Module({
  imports: [AuditModule],
  providers: [
    { provide: APP_GUARD, useClass: AdminAuthGuard },
    { provide: APP_FILTER, useClass: AdminAuthExceptionFilter },
  ],
})
export class AuthModule {}
