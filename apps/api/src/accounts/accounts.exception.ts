export type AccountsExceptionCode = 'NOT_A_MEMBER_FIRM_KEY';

/** Errors of the account queries; the GraphQL error mapper turns the code into `extensions.code`. */
export class AccountsException extends Error {
  constructor(
    readonly code: AccountsExceptionCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'AccountsException';
  }
}
