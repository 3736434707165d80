export type StatementsExceptionCode = 'NOT_A_MEMBER_FIRM_KEY' | 'ACCOUNT_NOT_FOUND' | 'INVALID_DATE_RANGE';

/** Refusals of the statement query; the GraphQL error mapper turns the code into `extensions.code`. */
export class StatementsException extends Error {
  constructor(
    readonly code: StatementsExceptionCode,
    message: string,
    /** The argument at fault, when known. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'StatementsException';
  }
}
