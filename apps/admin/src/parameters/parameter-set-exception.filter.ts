import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ParameterSetException, httpStatusOfParameterSetCode } from './parameter-set.exception.js';

/** Answers `{statusCode, code, message, violations?}` for every refused parameter-set request. */
@Catch(ParameterSetException)
export class ParameterSetExceptionFilter implements ExceptionFilter<ParameterSetException> {
  catch(exception: ParameterSetException, host: ArgumentsHost): void {
    const status = httpStatusOfParameterSetCode(exception.code);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.status(status).send({
      statusCode: status,
      code: exception.code,
      message: exception.message,
      ...(exception.violations.length === 0 ? {} : { violations: exception.violations }),
    });
  }
}
