export * from './pricing/index.js';
export * from './standard/index.js';
export * from './backtest/index.js';
export * from './var/index.js';
export * from './receipt/index.js';
export * from './scenario/index.js';
