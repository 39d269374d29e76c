export * from './serdes.js';
export * from './streams.error.js';
