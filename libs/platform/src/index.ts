export { NOVATION_CONFIG, NovationConfigModule } from './config.module.js';
export { HEALTH_CHECK_TIMEOUT_MS, ReadinessService } from './health.service.js';
export { loggingModule } from './logging.js';
export { METRICS_REGISTRY, MetricsModule } from './metrics.js';
export { OperationsModule } from './operations.module.js';
export {
  REDIS_CHECK_CONNECT_TIMEOUT_MS,
  RedisEvictionPolicyError,
  assertNoEviction,
  checkRedisEvictionPolicy,
  createCheckRedisClient,
  parseEvictionPolicy,
} from './redis.js';
export { REDIS_CLIENT, RedisModule } from './redis.module.js';
export { closeOnSignals } from './shutdown.js';
export {
  REQUEST_BODY_BYTES_MAX,
  createFastifyApp,
  listenUntilSignal,
  loadConfigOrExit,
  runService,
} from './bootstrap.js';
export {
  LISTENER_RECONNECT_DELAY_MS_MAX,
  LISTENER_RECONNECT_DELAY_MS_MIN,
  PostgresListener,
} from './postgres-listener.js';
export type { PostgresListenerHandlers, PostgresListenerOptions } from './postgres-listener.js';
