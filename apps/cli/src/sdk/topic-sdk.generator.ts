/**
 * `spool sdk generate`: TypeScript for the topics of an AsyncAPI document the broker serves
 * (GET /asyncapi.json; topic-asyncapi.ts on the server): per topic with schemas, the key and value
 * types (with the named types their schemas use), a `Topics` map from topic name to them, and a
 * typed client over the generated HTTP SDK (sdk/, `@spool/sdk`):
 *
 *   produceTo(client, 'orders', [{ key, value }])     POST /v1/topics/orders/records with the
 *                                                     topic's subjects as keySchema / valueSchema,
 *                                                     so the broker encodes (Avro, Protobuf, JSON)
 *   subscribeTo(client, 'orders', { partition })      an async iterator of typed records, by
 *                                                     long-poll fetch with keyFormat/valueFormat
 *                                                     json; a record that does not decode with the
 *                                                     schema throws RecordFormatError
 * A topic is found by the channel extension `x-spool-topic`. Type names come from subject names
 * (orders-value -> OrdersValue; a named type inside it: OrdersValue_Address), made unique.
 */
import { docComment, propertyKey, typeOf, type TypeNamer } from './json-schema-to-ts.js';

type Json = Record<string, unknown>;

interface TopicPart {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schemaType: string;
}

interface TopicEntry {
  readonly topic: string;
  readonly key: TopicPart | null;
  readonly value: TopicPart | null;
}

export interface GenerateOptions {
  /** The module the generated client imports the HTTP SDK from. */
  readonly sdkImport: string;
  /** Where the document came from, for the header comment. */
  readonly source: string;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pascal(text: string): string {
  const words = text.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const name = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(name) ? `T${name}` : name === '' ? 'T' : name;
}

function pointerGet(document: unknown, ref: string): unknown {
  let node = document;
  for (const raw of ref.replace(/^#\/?/, '').split('/').filter((t) => t !== '')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) throw new Error(`the document has no ${ref}`);
    node = node[key];
  }
  return node;
}

/** The topics the document types (channels with `x-spool-topic`), sorted by name. */
export function topicsOf(document: Json): TopicEntry[] {
  if (typeof document.asyncapi !== 'string' || !document.asyncapi.startsWith('3.')) throw new Error(`not an AsyncAPI 3 document (asyncapi: ${JSON.stringify(document.asyncapi)})`);
  const channels = isObject(document.channels) ? document.channels : {};
  const topics: TopicEntry[] = [];
  for (const channel of Object.values(channels)) {
    const entry = isObject(channel) ? channel['x-spool-topic'] : undefined;
    if (isObject(entry) && typeof entry.topic === 'string') topics.push(entry as unknown as TopicEntry);
  }
  return topics.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

/** The generated module's text (see the top of the file). */
export function generateTopicSdk(document: Json, options: GenerateOptions): string {
  const topics = topicsOf(document);
  const declarations: string[] = [];
  const names = new Map<string, string>();
  const used = new Set(['Topics', 'TopicName', 'TopicRecord', 'ProduceRecordOf', 'RecordFormatError', 'SubscribeOptions', 'ProduceOptions']);
  const pending: string[] = [];
  const namer: TypeNamer = {
    nameOf(ref: string): string {
      const known = names.get(ref);
      if (known !== undefined) return known;
      const match = /^#\/components\/schemas\/([^/]+)(?:\/(.*))?$/.exec(ref);
      if (match === null) throw new Error(`a $ref outside components.schemas: ${ref}`);
      const subject = decodeURIComponent(match[1]).replace(/~1/g, '/').replace(/~0/g, '~');
      const inner = match[2] === undefined ? '' : `_${pascal(match[2].split('/').pop()!.split('.').pop()!)}`;
      let name = `${pascal(subject)}${inner}`;
      for (let n = 2; used.has(name); n++) name = `${pascal(subject)}${inner}${n}`;
      used.add(name);
      names.set(ref, name);
      pending.push(ref);
      return name;
    },
  };
  const topicTypes: string[] = [];
  for (const entry of topics) {
    const key = entry.key === null ? 'string' : namer.nameOf(`#/components/schemas/${entry.key.subject}`);
    const value = entry.value === null ? 'unknown' : namer.nameOf(`#/components/schemas/${entry.value.subject}`);
    const about = [entry.key, entry.value].filter((p): p is TopicPart => p !== null).map((p) => `${p.subject} v${p.version} (${p.schemaType}, id ${p.id})`).join('; ');
    topicTypes.push(`${docComment(about, '  ')}  ${propertyKey(entry.topic)}: { key: ${key}; value: ${value}; keySubject: ${JSON.stringify(entry.key?.subject ?? null)}; valueSubject: ${JSON.stringify(entry.value?.subject ?? null)} };`);
  }
  while (pending.length > 0) {
    const ref = pending.shift()!;
    const schema = pointerGet(document, ref);
    declarations.push(`${docComment(isObject(schema) ? (schema.title !== undefined ? `${String(schema.title)}: ` : '') + String(schema.description ?? '') : undefined, '')}export type ${names.get(ref)} = ${typeOf(schema, namer)};`);
  }
  const subjects = topics.map((t) => `  ${propertyKey(t.topic)}: { key: ${JSON.stringify(t.key?.subject ?? null)}, value: ${JSON.stringify(t.value?.subject ?? null)} },`);
  return `// Generated by \`spool sdk generate\` from ${options.source}: do not edit; generate again after registering schemas.
/* eslint-disable */
import { fetchRecords, produce, type Client } from ${JSON.stringify(options.sdkImport)};

${declarations.join('\n\n')}

/** Every topic with schemas: its key and value types and subjects. */
export interface Topics {
${topicTypes.join('\n')}
}

export type TopicName = keyof Topics;

const SUBJECTS: { readonly [T in TopicName]: { readonly key: string | null; readonly value: string | null } } = {
${subjects.join('\n')}
};

/** A record to produce to topic T: the broker encodes key and value with the topic's schemas. */
export interface ProduceRecordOf<T extends TopicName> {
  key?: Topics[T]['key'] | null;
  value: Topics[T]['value'];
  headers?: { [name: string]: string };
  partition?: number;
  timestamp?: number;
}

/** A record of topic T as read (keyFormat and valueFormat json; keyFormat string without a key schema). */
export interface TopicRecord<T extends TopicName> {
  topic: T;
  partition: number;
  offset: number;
  timestamp: number;
  key: Topics[T]['key'] | null;
  value: Topics[T]['value'] | null;
  headers: { [name: string]: string | null };
  keySchemaId?: number;
  valueSchemaId?: number;
}

export interface ProduceOptions {
  acks?: 'none' | 'leader' | 'all';
  /** Idempotency-Key header: a retry with the same key and body appends nothing more. */
  idempotencyKey?: string;
}

/** A record whose key or value did not decode with the topic's schema (not written through it). */
export class RecordFormatError extends Error {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    message: string,
  ) {
    super(\`\${topic}/\${partition} offset \${offset}: \${message}\`);
    this.name = 'RecordFormatError';
  }
}

/** Produces typed records to \`topic\`; resolves with the per-record results, rejects on an error answer. */
export async function produceTo<T extends TopicName>(client: Client, topic: T, records: ProduceRecordOf<T>[], options: ProduceOptions = {}) {
  const subjects = SUBJECTS[topic];
  const result = await produce({
    client,
    path: { topic },
    headers: options.idempotencyKey === undefined ? undefined : { 'Idempotency-Key': options.idempotencyKey },
    body: {
      records: records as never,
      acks: options.acks,
      valueFormat: 'json',
      keyFormat: subjects.key === null ? 'string' : 'json',
      ...(subjects.value !== null && { valueSchema: { subject: subjects.value } }),
      ...(subjects.key !== null && { keySchema: { subject: subjects.key } }),
    },
  });
  if (result.error !== undefined) throw new Error(\`produce to \${topic} failed (\${result.response.status}): \${JSON.stringify(result.error)}\`);
  return result.data!;
}

export interface SubscribeOptions {
  partition?: number;
  /** The first offset (default: the log start). */
  offset?: number;
  /** How long each fetch waits for records (ms). */
  waitMs?: number;
  /** Stops the iteration (after the fetch under way). */
  signal?: AbortSignal;
}

/** Typed records of one partition of \`topic\`, from \`offset\` on, until \`signal\` aborts. */
export async function* subscribeTo<T extends TopicName>(client: Client, topic: T, options: SubscribeOptions = {}): AsyncGenerator<TopicRecord<T>> {
  const partition = options.partition ?? 0;
  let offset = options.offset;
  const keyFormat = SUBJECTS[topic].key === null ? 'string' : 'json';
  while (options.signal?.aborted !== true) {
    const result = await fetchRecords({ client, path: { topic, partition }, query: { offset, waitMs: options.waitMs ?? 1000, keyFormat, valueFormat: 'json' } });
    if (result.error !== undefined) throw new Error(\`fetch from \${topic}/\${partition} failed (\${result.response.status}): \${JSON.stringify(result.error)}\`);
    for (const record of result.data!.records as Array<Record<string, unknown>>) {
      const error = record.error as { message?: string } | undefined;
      if (error !== undefined) throw new RecordFormatError(topic, partition, record.offset as number, error.message ?? 'does not decode');
      yield { ...record, topic } as unknown as TopicRecord<T>;
    }
    offset = result.data!.nextOffset;
  }
}
`;
}
