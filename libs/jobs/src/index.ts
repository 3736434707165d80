export { QueueName, SYSTEM_QUEUE_CONCURRENCY, SystemJobName, pingJobDataSchema, pingJobOptions } from './queues.js';
export type { PingJobData, PingJobResult } from './queues.js';
