export * from './generated/index.js';
export * from './kafka-api-registry.js';
export * from './kafka-frame.codec.js';
export * from './kafka-schema.js';
export * from './kafka-version-fit.js';
export type { KafkaElementReader } from './kafka-reader.js';
export type { KafkaElementWriter } from './kafka-writer.js';
export { sampleMessage, seededRandom, type KafkaRandom, type SampleOptions } from './kafka-sample-values.js';
