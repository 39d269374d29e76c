/**
 * Parses a schema of any type with its references resolved: each reference (subject, version)
 * is looked up, its own references first, depth first, each parsed once, and handed to the type's
 * parser in that order under the name the schema uses for it. Limits (schema-limits.ts) are
 * checked on every text before a parser sees it.
 */
import { parseAvroSchema } from './avro/avro-schema.js';
import { parseJsonSchema } from './json-schema/json-schema.js';
import type { ParsedSchema } from './parsed-schema.js';
import { parseProtobufSchema } from './protobuf/protobuf-schema.js';
import { checkSchemaText, type SchemaLimits } from './schema-limits.js';
import { SchemaRegistryError } from './schema-registry.error.js';
import type { SchemaInput, SchemaReference, StoredSchema } from './schema-types.js';

/** Finds a referenced subject version's schema; undefined when it does not exist. */
export type ReferenceLookup = (subject: string, version: number) => StoredSchema | undefined;

interface Dependency {
  readonly name: string;
  readonly schema: string;
}

export function parseSchema(input: SchemaInput, lookup: ReferenceLookup, limits: SchemaLimits, normalize = false): ParsedSchema {
  checkSchemaText(input.schema, limits);
  const dependencies = resolveDependencies(input, lookup, limits);
  switch (input.schemaType) {
    case 'AVRO':
      return parseAvroSchema(input.schema, dependencies, normalize);
    case 'JSON':
      return parseJsonSchema(input.schema, dependencies, normalize);
    case 'PROTOBUF':
      return parseProtobufSchema(input.schema, dependencies);
  }
}

function resolveDependencies(input: SchemaInput, lookup: ReferenceLookup, limits: SchemaLimits): Dependency[] {
  const out: Dependency[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  let count = 0;
  const visit = (reference: SchemaReference): void => {
    const key = `${reference.subject}\u0000${reference.version}`;
    if (done.has(key)) return;
    if (visiting.has(key)) throw new SchemaRegistryError('INVALID_SCHEMA', `invalid schema: the references form a cycle through ${reference.subject} version ${reference.version}`);
    if (++count > limits.maxReferences) throw new SchemaRegistryError('INVALID_SCHEMA', `invalid schema: more than ${limits.maxReferences} references (counted transitively)`);
    const stored = lookup(reference.subject, reference.version);
    if (stored === undefined) {
      throw new SchemaRegistryError('INVALID_SCHEMA', `invalid schema: reference ${JSON.stringify(reference.name)} names subject ${JSON.stringify(reference.subject)} version ${reference.version}, which does not exist`, { reference });
    }
    if (stored.schemaType !== input.schemaType) {
      throw new SchemaRegistryError('INVALID_SCHEMA', `invalid schema: reference ${JSON.stringify(reference.name)} is a ${stored.schemaType} schema, not ${input.schemaType}`, { reference });
    }
    visiting.add(key);
    for (const nested of stored.references) visit(nested);
    visiting.delete(key);
    done.add(key);
    out.push({ name: reference.name, schema: stored.schema });
  };
  for (const reference of input.references) visit(reference);
  return out;
}
