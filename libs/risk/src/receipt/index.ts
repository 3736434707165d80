export { CanonicalJsonError, canonicalJson } from './canonical-json.js';
export type { CanonicalJsonErrorCode } from './canonical-json.js';
export { ENGINE_VERSION, createMarginReceipt, receiptHash, sha256Hex, verifyMarginReceipt } from './margin-receipt.js';
export type { MarginReceipt, MarginReceiptInputs, MarginReceiptVerification } from './margin-receipt.js';
