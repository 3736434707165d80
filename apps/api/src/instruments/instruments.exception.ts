export type InstrumentsExceptionCode = 'INSTRUMENT_NOT_FOUND';

/** Refusals of the instrument and market data queries (public reference data: nothing is tenant-scoped). */
export class InstrumentsException extends Error {
  constructor(
    readonly code: InstrumentsExceptionCode,
    message: string,
    /** The argument at fault, when known. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'InstrumentsException';
  }
}
