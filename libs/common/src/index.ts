export * from './ids.js';
export * from './spool-error.js';
export * from './clock.js';
export * from './logger.js';
export * from './topic-id.js';
export * from './constant-time.js';
export { reserveLoopbackPort } from './testing/loopback-ports.js';
