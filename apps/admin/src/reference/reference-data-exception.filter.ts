import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ReferenceDataException, httpStatusOfReferenceDataCode } from './reference-data.exception.js';

/** Answers `{statusCode, code, message, violations?}` for every refused reference-data request. */
@Catch(ReferenceDataException)
export class ReferenceDataExceptionFilter implements ExceptionFilter<ReferenceDataException> {
  catch(exception: ReferenceDataException, host: ArgumentsHost): void {
    const status = httpStatusOfReferenceDataCode(exception.code);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.status(status).send({
      statusCode: status,
      code: exception.code,
      message: exception.message,
      ...(exception.violations.length === 0 ? {} : { violations: exception.violations }),
    });
  }
}
