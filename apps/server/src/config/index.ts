export * from './broker-config.js';
export * from './config.error.js';
export * from './config.module.js';
export * from './load-broker-config.js';
export * from './topic-default-env.js';
export { LOG_LEVELS, type LogLevel } from './env.schema.js';
