import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ReportException, httpStatusOfReportCode } from './report.exception.js';

/** Answers `{statusCode, code, message, violations?}` for every refused report request. */
@Catch(ReportException)
export class ReportExceptionFilter implements ExceptionFilter<ReportException> {
  catch(exception: ReportException, host: ArgumentsHost): void {
    const status = httpStatusOfReportCode(exception.code);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.status(status).send({
      statusCode: status,
      code: exception.code,
      message: exception.message,
      ...(exception.violations.length === 0 ? {} : { violations: exception.violations }),
    });
  }
}
