import { ValidationPipe } from '@nestjs/common';
import { InputException } from './input.exception.js';

/**
 * Validates `@Args` classes (class-validator). Given per argument, not globally: a global pipe would also
 * validate `@Parent()` objects. A refused argument is a typed input error naming it.
 */
export const argsValidationPipe = new ValidationPipe({
  forbidUnknownValues: true,
  exceptionFactory: (errors) => {
    const [first] = errors;
    const constraint = Object.values(first?.constraints ?? {})[0] ?? 'invalid value';
    return new InputException('BAD_USER_INPUT', constraint, first?.property);
  },
});
