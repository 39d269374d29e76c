/**
 * The AsyncAPI 3.0 document the broker serves (GET /asyncapi.yaml, and the same as JSON at
 * /asyncapi.json): docs/asyncapi.yaml (the WebSocket and SSE protocol) with, added from the
 * schema registry, one channel per topic that has a schema under TopicNameStrategy (a subject
 * `<topic>-value` or `<topic>-key` whose topic part is a legal topic name; the topic need not exist
 * yet, so contract-first clients can be generated before it does). Built per request, so a schema
 * registered a moment ago is in the next answer.
 *
 * Per topic `t` (channel `topic.t`, address its SSE stream):
 *   message `t.record`    a record as read with keyFormat=json&valueFormat=json (SSE event, element
 *                         of a WebSocket records frame, HTTP fetch), key and value typed
 *   message `t.produce`   a record as produced (HTTP POST /v1/topics/t/records or a WebSocket
 *                         produce frame) with the JSON bridge: key and value typed
 *   operations `t.receive` (the broker receives produce records) and `t.send` (it sends records)
 *   extension `x-spool-topic`: { topic, key, value }, each null or { subject, version, id,
 *                         schemaType }, for SDK generators (`spool sdk generate`)
 * The payloads' key and value are the JSON Schema of the JSON the bridge produces for the
 * subject's latest schema (ParsedSchema.jsonSchemaOfJson: Avro and Protobuf converted, JSON Schema
 * with its references bundled), in components.schemas under the subject's name, its internal
 * references (`#/$defs/...`, `#/definitions/...`, `#`) rewritten to point there, so the document
 * is self-contained.
 */
import type { SchemaRegistry } from '@spool/schema-registry';
import { subjectOf, type SchemaPart } from './topic-schemas.js';

type Json = Record<string, unknown>;

/** Kafka's legal topic names (what a TopicNameStrategy subject's prefix must be). */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export interface SubjectSchema {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType: string;
}

/** `schema` with every `$ref` into itself (`#...`) made to point under `base`. */
function rebase(schema: unknown, base: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => rebase(s, base));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#') ? `${base}${value.slice(1)}` : rebase(value, base);
  }
  return out;
}

/** Topics with a TopicNameStrategy subject, sorted. */
function topicsWithSchemas(registry: SchemaRegistry): string[] {
  const topics = new Set<string>();
  for (const subject of registry.state.subjectNames(false)) {
    const match = /^(.*)-(key|value)$/.exec(subject);
    if (match !== null && TOPIC_NAME.test(match[1]) && match[1] !== '.' && match[1] !== '..') topics.add(match[1]);
  }
  return [...topics].sort();
}

/** The per-topic parts (see the top of the file): channels, operations, schemas and messages. */
export function topicAsyncApiParts(registry: SchemaRegistry): { channels: Json; operations: Json; schemas: Json; messages: Json } {
  const schemas: Json = {};
  const messages: Json = {};
  const channels: Json = {};
  const operations: Json = {};
  const subjectSchema = (topic: string, part: SchemaPart): (SubjectSchema & { ref: string }) | null => {
    const subject = subjectOf(topic, part);
    if (registry.state.versions(subject, false).length === 0) return null;
    const view = registry.version(subject, 'latest');
    let jsonSchema: Json;
    try {
      jsonSchema = registry.parsedById(view.id).jsonSchemaOfJson();
    } catch {
      return null; // a stored schema that no longer parses (a reference gone) types nothing
    }
    const ref = `#/components/schemas/${subject}`;
    const description = `${view.schemaType} schema id ${view.id} (subject ${subject}, version ${view.version}) as the JSON the broker reads and writes for it`;
    schemas[subject] = { ...(rebase(jsonSchema, ref) as Json), description: typeof jsonSchema.description === 'string' ? `${jsonSchema.description} (${description})` : description };
    return { subject, version: view.version, id: view.id, schemaType: view.schemaType, ref };
  };
  for (const topic of topicsWithSchemas(registry)) {
    const value = subjectSchema(topic, 'value');
    const key = subjectSchema(topic, 'key');
    if (value === null && key === null) continue;
    const keySchema = key === null ? { type: ['string', 'null'], description: 'No key schema: the key as a string (keyFormat=string)' } : { anyOf: [{ $ref: key.ref }, { type: 'null' }] };
    const valueSchema = value === null ? { description: 'No value schema: any JSON' } : { anyOf: [{ $ref: value.ref }, { type: 'null' }] };
    messages[`${topic}.record`] = {
      name: `${topic}.record`,
      title: `A record of ${topic}`,
      contentType: 'application/json',
      summary: 'One record as an SSE record event, an element of a WebSocket records frame or of an HTTP fetch, read with keyFormat=json and valueFormat=json (keyFormat=string without a key schema).',
      payload: {
        type: 'object',
        // topic and partition: on SSE events and HTTP records; a WebSocket records frame carries them once.
        required: ['offset', 'timestamp', 'key', 'value', 'headers'],
        properties: {
          topic: { const: topic },
          partition: { type: 'integer', minimum: 0 },
          offset: { type: 'integer', minimum: 0 },
          timestamp: { type: 'integer' },
          key: keySchema,
          value: valueSchema,
          headers: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
          ...(key !== null && { keySchemaId: { type: 'integer', description: `${key.id} for the latest version of ${key.subject}; older records may carry older ids` } }),
          ...(value !== null && { valueSchemaId: { type: 'integer', description: `${value.id} for the latest version of ${value.subject}; older records may carry older ids` } }),
        },
      },
    };
    messages[`${topic}.produce`] = {
      name: `${topic}.produce`,
      title: `A record to produce to ${topic}`,
      contentType: 'application/json',
      summary: `An element of "records" in POST /v1/topics/${topic}/records or a WebSocket produce frame, sent with ${value === null ? '' : `valueSchema {subject: "${value.subject}"}`}${value !== null && key !== null ? ' and ' : ''}${key === null ? '' : `keySchema {subject: "${key.subject}"}, keyFormat json`}: the broker encodes it with the schema (docs/schemas.md).`,
      payload: {
        type: 'object',
        required: ['value'],
        properties: {
          key: keySchema,
          value: valueSchema,
          headers: { type: 'object', additionalProperties: { type: 'string' } },
          partition: { type: 'integer', minimum: 0 },
          timestamp: { type: 'integer', minimum: 0 },
        },
      },
    };
    const channelId = `topic.${topic}`;
    channels[channelId] = {
      address: `/v1/topics/${encodeURIComponent(topic)}/events`,
      title: topic,
      description: `Topic ${topic}: records are read from its SSE stream (query keyFormat=json&valueFormat=json), WebSocket subscriptions and HTTP fetch; produced with POST /v1/topics/${encodeURIComponent(topic)}/records or a WebSocket produce frame.`,
      messages: {
        record: { $ref: `#/components/messages/${topic}.record` },
        produce: { $ref: `#/components/messages/${topic}.produce` },
      },
      'x-spool-topic': { topic, key: key === null ? null : withoutRef(key), value: value === null ? null : withoutRef(value) },
    };
    operations[`${topic}.send`] = { action: 'send', title: `Records of ${topic} to readers`, channel: { $ref: `#/channels/${channelId}` }, messages: [{ $ref: `#/channels/${channelId}/messages/record` }] };
    operations[`${topic}.receive`] = { action: 'receive', title: `Records produced to ${topic}`, channel: { $ref: `#/channels/${channelId}` }, messages: [{ $ref: `#/channels/${channelId}/messages/produce` }] };
  }
  return { channels, operations, schemas, messages };
}

function withoutRef(schema: SubjectSchema & { ref: string }): SubjectSchema {
  return { subject: schema.subject, version: schema.version, id: schema.id, schemaType: schema.schemaType };
}

/** `base` (docs/asyncapi.yaml, parsed) with the per-topic parts added; `base` is not changed. */
export function asyncApiDocument(base: Json, registry: SchemaRegistry): Json {
  const parts = topicAsyncApiParts(registry);
  const components = (base.components ?? {}) as Json;
  return {
    ...base,
    channels: { ...(base.channels as Json), ...parts.channels },
    operations: { ...(base.operations as Json), ...parts.operations },
    components: {
      ...components,
      schemas: { ...(components.schemas as Json), ...parts.schemas },
      messages: { ...(components.messages as Json), ...parts.messages },
    },
  };
}
