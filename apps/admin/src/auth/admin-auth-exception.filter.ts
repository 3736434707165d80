import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AdminAuthException, httpStatusOfAdminAuthCode } from './admin-auth.exception.js';

/** Answers refused authentication (401) and authorization (403) as `{code, message}`. */
@Catch(AdminAuthException)
export class AdminAuthExceptionFilter implements ExceptionFilter<AdminAuthException> {
  catch(exception: AdminAuthException, host: ArgumentsHost): void {
    const status = httpStatusOfAdminAuthCode(exception.code);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (status === 401) reply.header('WWW-Authenticate', 'Bearer realm="novation-admin"');
    void reply.status(status).send({ statusCode: status, code: exception.code, message: exception.message });
  }
}
