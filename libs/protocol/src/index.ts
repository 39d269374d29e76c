export * from './crc32c.js';
export * from './protocol.error.js';
export * from './record-batch-header.js';
