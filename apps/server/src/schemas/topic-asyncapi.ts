/**
 * Per-topic schemas as an AsyncAPI 3.0 document (GET /asyncapi/topics.json): for every topic with
 * a `<topic>-value` (or `<topic>-key`) subject, a channel (its SSE stream; the same records reach
 * WebSocket subscriptions) whose message payload is the record as Spool renders it with
 * `valueFormat=json` / `keyFormat=json`, the value and key typed by the JSON Schema of the JSON the
 * bridge produces for the subject's latest schema (ParsedSchema.jsonSchemaOfJson: Avro records
 * as objects, Protobuf messages by field name, JSON Schema as registered). A generator pointed at
 * it gets typed payloads per topic; docs/asyncapi.yaml stays the protocol's own document.
 *
 * Each subject's JSON Schema lives in components.schemas under the subject's name; its internal
 * references (`#/$defs/...`) are rewritten to point there, so the document is self-contained.
 */
import type { SchemaRegistry } from '@spool/schema-registry';
import { subjectOf, type SchemaPart } from './topic-schemas.js';

type Json = Record<string, unknown>;

interface SubjectSchema {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType: string;
  readonly ref: string;
}

/** `schema` with every `$ref` into its own `$defs` made to point under `base`. */
function rebase(schema: unknown, base: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => rebase(s, base));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${base}/${value.slice(2)}` : rebase(value, base);
  }
  return out;
}

/** JSON Pointer escaping of one reference token (RFC 6901). */
function pointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function topicAsyncApi(registry: SchemaRegistry, topics: readonly string[]): Json {
  const schemas: Json = {};
  const messages: Json = {};
  const channels: Json = {};
  const operations: Json = {};
  const subjectSchema = (topic: string, part: SchemaPart): SubjectSchema | null => {
    const subject = subjectOf(topic, part);
    if (registry.state.versions(subject, false).length === 0) return null;
    const view = registry.version(subject, 'latest');
    let jsonSchema: Json;
    try {
      jsonSchema = registry.parsedById(view.id).jsonSchemaOfJson();
    } catch {
      return null; // a stored schema that no longer parses (a reference gone) types nothing
    }
    const ref = `#/components/schemas/${pointerToken(subject)}`;
    schemas[subject] = { ...(rebase(jsonSchema, ref) as Json), description: `${view.schemaType} schema id ${view.id} (subject ${subject}, version ${view.version}) as JSON` };
    return { subject, version: view.version, id: view.id, schemaType: view.schemaType, ref };
  };
  for (const topic of [...topics].sort()) {
    const value = subjectSchema(topic, 'value');
    const key = subjectSchema(topic, 'key');
    if (value === null && key === null) continue;
    const messageId = `${topic}.record`;
    messages[messageId] = {
      name: messageId,
      title: `A record of ${topic}`,
      contentType: 'application/json',
      summary: 'One record as an SSE `record` event or an element of a WebSocket `records` frame, read with keyFormat=json and valueFormat=json.',
      payload: {
        type: 'object',
        // topic and partition: on SSE events and HTTP records; a WebSocket records frame carries them once.
        required: ['offset', 'timestamp', 'key', 'value', 'headers'],
        properties: {
          topic: { const: topic },
          partition: { type: 'integer', minimum: 0 },
          offset: { type: 'integer', minimum: 0 },
          timestamp: { type: 'integer' },
          key: key === null ? {} : { anyOf: [{ $ref: key.ref }, { type: 'null' }] },
          value: value === null ? {} : { anyOf: [{ $ref: value.ref }, { type: 'null' }] },
          headers: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
          ...(key !== null && { keySchemaId: { type: 'integer', description: `${key.id} for the latest version of ${key.subject}; older records may carry older ids` } }),
          ...(value !== null && { valueSchemaId: { type: 'integer', description: `${value.id} for the latest version of ${value.subject}; older records may carry older ids` } }),
        },
      },
    };
    const channelId = `topic.${topic}`;
    channels[channelId] = {
      address: `/v1/topics/${encodeURIComponent(topic)}/events`,
      title: topic,
      description: `Records of topic ${topic} (SSE; query keyFormat=json&valueFormat=json). The same records reach WebSocket subscriptions to ${topic}.`,
      servers: [{ $ref: '#/servers/localSse' }],
      messages: { record: { $ref: `#/components/messages/${pointerToken(messageId)}` } },
    };
    operations[`receive.${topic}`] = { action: 'receive', channel: { $ref: `#/channels/${pointerToken(channelId)}` }, messages: [{ $ref: `#/channels/${pointerToken(channelId)}/messages/record` }] };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Spool topics with schemas',
      version: String(registry.state.maxId),
      description: 'Generated from the schema registry: one channel per topic whose <topic>-value or <topic>-key subject has a schema, typed by that schema as JSON. The protocol itself (frames, flow control) is /asyncapi.yaml.',
    },
    servers: {
      localSse: { host: 'localhost:8080', protocol: 'http', description: 'Server-sent events on the HTTP port.' },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}
