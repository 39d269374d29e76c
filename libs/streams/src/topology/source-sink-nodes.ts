/**
 * Where records enter and leave a topology. Internal topics (repartition) carry two headers that
 * say how the key and value were written, so the reading side gets back the same JavaScript
 * types: `spool.k` / `spool.v` = `s` (UTF-8 string: a string key keeps the bytes an outside
 * producer of string keys writes, so partitioning and co-partitioned joins agree), `j` (JSON),
 * `n` (null).
 */
import type { RawRecord, StreamRecord } from '../record.js';
import type { Serde } from '../serdes.js';
import { StreamsError } from '../streams.error.js';
import { ProcessorNode, type ProcessorContext } from './processor-node.js';

export class SourceNode extends ProcessorNode {
  constructor(
    name: string,
    readonly topic: string,
    readonly internal: boolean,
    private readonly keySerde: Serde<unknown>,
    private readonly valueSerde: Serde<unknown>,
  ) {
    super(name);
  }

  /** Deserializes a record of `topic` and sends it down the graph. */
  receive(raw: RawRecord, ctx: ProcessorContext): void {
    const record = this.internal
      ? { key: decodeTagged(raw.key, raw.headers?.['spool.k']), value: decodeTagged(raw.value, raw.headers?.['spool.v']), timestamp: raw.timestamp }
      : { key: this.keySerde.deserialize(raw.key), value: this.valueSerde.deserialize(raw.value), timestamp: raw.timestamp };
    this.forward(record, ctx);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    this.forward(record, ctx);
  }
}

export class SinkNode extends ProcessorNode {
  constructor(
    name: string,
    readonly topic: string,
    readonly internal: boolean,
    private readonly keySerde: Serde<unknown>,
    private readonly valueSerde: Serde<unknown>,
  ) {
    super(name);
  }

  process(record: StreamRecord, ctx: ProcessorContext): void {
    if (this.internal) {
      const key = encodeTagged(record.key);
      const value = encodeTagged(record.value);
      ctx.send(this.topic, { key: key.bytes, value: value.bytes, timestamp: record.timestamp, headers: { 'spool.k': key.tag, 'spool.v': value.tag } });
    } else {
      ctx.send(this.topic, { key: this.keySerde.serialize(record.key), value: this.valueSerde.serialize(record.value), timestamp: record.timestamp });
    }
  }
}

const TAG_STRING = Buffer.from('s');
const TAG_JSON = Buffer.from('j');
const TAG_NULL = Buffer.from('n');

function encodeTagged(value: unknown): { bytes: Buffer | null; tag: Buffer } {
  if (value === null || value === undefined) return { bytes: null, tag: TAG_NULL };
  if (typeof value === 'string') return { bytes: Buffer.from(value, 'utf8'), tag: TAG_STRING };
  const text = JSON.stringify(value);
  if (text === undefined) throw new StreamsError('SERIALIZATION_ERROR', `a repartition topic cannot carry a ${typeof value}`);
  return { bytes: Buffer.from(text, 'utf8'), tag: TAG_JSON };
}

function decodeTagged(bytes: Buffer | null, tag: Buffer | undefined): unknown {
  if (bytes === null) return null;
  const t = tag === undefined ? 's' : tag.toString();
  if (t === 's') return bytes.toString('utf8');
  if (t === 'j') return JSON.parse(bytes.toString('utf8'));
  return null;
}
