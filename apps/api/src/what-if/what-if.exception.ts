export type WhatIfExceptionCode =
  'UNKNOWN_INSTRUMENT' | 'UNKNOWN_UNDERLYING' | 'MISSING_MARKET_DATA' | 'INVALID_SCENARIO' | 'CANNOT_MARGIN';

/** Refusals of the what-if queries (which never write anything). */
export class WhatIfException extends Error {
  constructor(
    readonly code: WhatIfExceptionCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'WhatIfException';
  }
}
