export type InputExceptionCode = 'BAD_USER_INPUT' | 'INVALID_CURSOR';

/** Input the schema accepted but the API refuses: a malformed scalar, an argument out of range. */
export class InputException extends Error {
  constructor(
    readonly code: InputExceptionCode,
    message: string,
    /** The argument or input field at fault, when known. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InputException';
  }
}
