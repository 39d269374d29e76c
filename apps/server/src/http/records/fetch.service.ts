/**
 * HTTP fetch: one page of a partition (records/fetch-page.ts: read, long-poll on the reader's
 * waitForAppend, render once) wrapped in the FetchResponse envelope, written as bytes: each
 * record is the renderer's JSON object with `"partition":<p>,` put in front, so a stored JSON
 * value reaches the response without being parsed. The long-poll ends early when the client goes
 * away (the signal) and when the app shuts down: waiting fetches then answer at once with what
 * there is, so a long-poll never holds up a graceful shutdown (the HTTP server waits for
 * in-flight requests before it closes). At most maxPendingLongPolls fetches with a wait run at once
 * (each holds a socket, a timer and a waiter on its partition): past it a fetch that asks to wait
 * is refused with 429 THROTTLING_QUOTA_EXCEEDED (reason long-poll-limit) before it reads anything.
 *
 * With `Accept: application/x-ndjson` the same page is one record per line, each with its topic
 * and partition in front (the shape of `spool consume`'s JSON lines and the SSE face's data lines),
 * and the envelope's offsets go in response headers:
 *
 *   spool-next-offset: 8            spool-high-watermark: 9            spool-log-start-offset: 0
 *   {"topic":"t","partition":0,"offset":7,"timestamp":1767225600000,"key":"k","value":{"n":1},"headers":{}}\n
 *
 * A reader that prints records (the CLI) then writes the body as it came, without parsing it.
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { SpoolError } from '@spool/common';
import { fetchPage, type FetchedPage } from '../../records/fetch-page.js';
import { PARTITION_READERS, type PartitionReaders } from '../../records/partition-reader.js';
import type { ReadFormats } from '../../records/record-formats.js';
import { rendererFor } from '../../records/record-renderer.js';
import type { RenderedRecords } from '../../records/rendered-records.js';
import { HTTP_API_OPTIONS, type HttpApiOptions } from '../http-api.options.js';
import type { PartitionOffsetsDto } from './fetch.dto.js';

export interface FetchParams {
  readonly offset: number | undefined;
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly waitMs: number;
  readonly formats: ReadFormats;
}

@Injectable()
export class FetchService implements OnModuleDestroy {
  /** Fetches in progress, released all at once at shutdown (cheaper than AbortSignal.any per request). */
  private readonly running = new Set<AbortController>();
  private closing = false;
  private pendingLongPolls = 0;

  constructor(
    @Inject(PARTITION_READERS) private readonly readers: PartitionReaders,
    @Inject(HTTP_API_OPTIONS) private readonly options: HttpApiOptions,
  ) {}

  /** The FetchResponse JSON document, as bytes. Aborting `stop` (client gone) ends a long-poll early. */
  async fetch(topic: string, partition: number, params: FetchParams, stop: AbortController = new AbortController()): Promise<Buffer> {
    return (await this.fetchCounted(topic, partition, params, stop)).body;
  }

  /** `fetch`'s document and how many records it holds (the tenant's fetched records). */
  async fetchCounted(topic: string, partition: number, params: FetchParams, stop: AbortController = new AbortController()): Promise<{ body: Buffer; records: number }> {
    const page = await this.fetchRendered(topic, partition, params, stop);
    const body = fetchResponse(partition, page.records, `],"nextOffset":${page.nextOffset},"highWatermark":${page.highWatermark},"logStartOffset":${page.logStartOffset}}`);
    return { body, records: page.records.count };
  }

  /** The same page as NDJSON lines (see the top) and the offsets for the response headers. */
  async fetchNdjson(topic: string, partition: number, params: FetchParams, stop: AbortController = new AbortController()): Promise<NdjsonPage> {
    const page = await this.fetchRendered(topic, partition, params, stop);
    return { body: ndjsonLines(topic, partition, page.records), records: page.records.count, nextOffset: page.nextOffset, highWatermark: page.highWatermark, logStartOffset: page.logStartOffset };
  }

  private async fetchRendered(topic: string, partition: number, params: FetchParams, stop: AbortController): Promise<FetchedPage> {
    const reader = this.readers.reader(topic, partition);
    const waits = params.waitMs > 0 && this.options.maxWaitMs > 0;
    if (waits && this.pendingLongPolls >= this.options.maxPendingLongPolls) {
      throw new SpoolError('THROTTLING_QUOTA_EXCEEDED', `at most ${this.options.maxPendingLongPolls} long-poll fetches may wait at once: retry, or fetch with waitMs=0`, {
        reason: 'long-poll-limit',
        limit: this.options.maxPendingLongPolls,
      });
    }
    if (waits) this.pendingLongPolls++;
    try {
      if (params.offset === undefined) await this.readers.prepare(topic, [partition]);
      return await this.fetchPage(reader, params, stop);
    } finally {
      if (waits) this.pendingLongPolls--;
    }
  }

  private async fetchPage(reader: ReturnType<PartitionReaders['reader']>, params: FetchParams, stop: AbortController): Promise<FetchedPage> {
    if (this.closing) stop.abort();
    this.running.add(stop);
    try {
      return await fetchPage(
        reader,
        rendererFor(params.formats, this.readers.schemaDecoder),
        { offset: params.offset, maxRecords: params.maxRecords, maxBytes: Math.min(params.maxBytes, this.options.fetchMaxBytes), waitMs: Math.min(params.waitMs, this.options.maxWaitMs) },
        stop.signal,
      );
    } finally {
      this.running.delete(stop);
    }
  }

  /** Nest calls this first when the app closes: release every long-poll. */
  onModuleDestroy(): void {
    this.closing = true;
    for (const stop of this.running) stop.abort();
  }

  async offsets(topic: string, partition: number, timestamp: number | undefined): Promise<PartitionOffsetsDto> {
    const reader = this.readers.reader(topic, partition);
    await this.readers.prepare(topic, [partition]);
    const out: PartitionOffsetsDto = {
      topic,
      partition,
      earliest: reader.logStartOffset(),
      latest: reader.highWatermark(),
      highWatermark: reader.highWatermark(),
    };
    if (timestamp !== undefined) {
      const found = await reader.offsetForTimestamp(timestamp);
      out.byTimestamp = found === null ? null : { offset: found.offset, timestamp: found.timestamp };
    }
    return out;
  }
}

/** A fetch page as NDJSON: the body and the offsets its headers carry. */
export interface NdjsonPage {
  readonly body: Buffer;
  /** Records in `body`. */
  readonly records: number;
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/** `{"topic":t,"partition":p,<record fields>}\n` per record, sized once and copied once. */
function ndjsonLines(topic: string, partition: number, records: RenderedRecords): Buffer {
  const head = Buffer.from(`{"topic":${JSON.stringify(topic)},"partition":${partition},`);
  let size = 0;
  for (let i = 0; i < records.count; i++) size += head.length + records.bytes(i) - 1 + 1;
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < records.count; i++) {
    pos += head.copy(out, pos);
    pos += records.json(i).copy(out, pos, 1); // the record's fields, after its opening brace
    out[pos++] = 0x0a;
  }
  return out;
}

const OPEN = Buffer.from('{"records":[');

/** `{"records":[{"partition":p,<record fields>},...]` + `tail`, sized once and copied once. */
function fetchResponse(partition: number, records: RenderedRecords, tail: string): Buffer {
  const head = Buffer.from(`{"partition":${partition},`);
  let size = OPEN.length + Buffer.byteLength(tail);
  for (let i = 0; i < records.count; i++) size += head.length + records.bytes(i) - 1 + (i > 0 ? 1 : 0);
  const out = Buffer.allocUnsafe(size);
  let pos = OPEN.copy(out, 0);
  for (let i = 0; i < records.count; i++) {
    if (i > 0) out[pos++] = 0x2c;
    pos += head.copy(out, pos);
    const json = records.json(i);
    pos += json.copy(out, pos, 1); // the record's fields, after its opening brace
  }
  out.write(tail, pos, 'utf8');
  return out;
}

/** Parses a non-negative integer query parameter; absent -> undefined. */
export function queryInt(raw: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw) || Number(raw) > max) {
    throw new SpoolError('INVALID_REQUEST', `query parameter ${name} must be an integer in 0..${max}, got ${JSON.stringify(raw)}`, { field: name, value: raw });
  }
  return Number(raw);
}
