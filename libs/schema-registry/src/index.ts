// The schema registry (issue 15): Avro, JSON Schema and Protobuf schemas with Confluent's
// canonical forms, compatibility rules, REST semantics and `_schemas` topic format, plus the JSON
// bridge (encode JSON to a schema's wire format, decode it back). See docs/schemas.md.
export * from './schema-registry.error.js';
export * from './schema-types.js';
export * from './parsed-schema.js';
export * from './wire-format.js';
export * from './schema-limits.js';
export { parseSchema, type ReferenceLookup } from './schema-parser.js';
export { compatibilityMessages, type PreviousVersion } from './compatibility.js';
export * from './schemas-topic.codec.js';
export * from './schema-log.js';
export { RegistryState } from './registry-state.js';
export { LocalRegistryWriter, type RegistryWriter, type RegisterOptions, type WriterHost } from './registry-writer.js';
export { SchemaRegistry, type SchemaRegistryOptions, type VersionSpec } from './schema-registry.js';
export { AvroParsedSchema } from './avro/avro-schema.js';
export { JsonParsedSchema } from './json-schema/json-schema.js';
export { ProtobufParsedSchema } from './protobuf/protobuf-schema.js';
