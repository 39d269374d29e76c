/**
 * Fetch: read whole batches from the partition's log, decode those that reach the requested
 * offset, render records in the requested format. Long-poll: when nothing is at `offset` yet and
 * waitMs > 0, wait on Log.waitForAppend (woken by the append itself, no polling) and read once
 * more. The wait ends early when the client goes away (the signal) and when the app shuts down:
 * waiting fetches then answer at once with what there is, so a long-poll never holds up a
 * graceful shutdown (the HTTP server waits for in-flight requests before it closes).
 */
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { SpoolError } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { CONTROL_FLAG_MASK, decodeRecordBatch, iterateBatches } from '@spool/protocol';
import { HTTP_API_OPTIONS, type HttpApiOptions } from '../http-api.options.js';
import type { FetchedRecordDto, FetchResponseDto, PartitionOffsetsDto } from './fetch.dto.js';
import { decodeData, decodeHeaderValue, type RecordFormat } from './record-format.js';

export interface FetchParams {
  readonly offset: number | undefined;
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly waitMs: number;
  readonly format: RecordFormat;
}

@Injectable()
export class FetchService implements OnModuleDestroy {
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(LogManager) private readonly logManager: LogManager,
    @Inject(HTTP_API_OPTIONS) private readonly options: HttpApiOptions,
  ) {}

  async fetch(topic: string, partition: number, params: FetchParams, signal?: AbortSignal): Promise<FetchResponseDto> {
    const log = this.logManager.getLog(topic, partition);
    const offset = params.offset ?? log.logStartOffset;
    const maxBytes = Math.min(params.maxBytes, this.options.fetchMaxBytes);
    let result = await log.read(offset, maxBytes);
    const waitMs = Math.min(params.waitMs, this.options.maxWaitMs);
    const stop = signal === undefined ? this.shutdown.signal : AbortSignal.any([signal, this.shutdown.signal]);
    if (result.records.length === 0 && waitMs > 0 && !stop.aborted) {
      await log.waitForAppend(offset, waitMs, stop);
      result = await log.read(offset, maxBytes);
    }
    const records: FetchedRecordDto[] = [];
    let nextOffset = offset;
    for (const batch of iterateBatches(result.records)) {
      const lastOffset = batch.header.baseOffset + batch.header.lastOffsetDelta;
      if (records.length >= params.maxRecords) break;
      nextOffset = Math.max(nextOffset, lastOffset + 1);
      // Control batches (transaction markers) and the records before `offset` in the first
      // batch are not the client's records.
      if (lastOffset < offset || (batch.header.attributes & CONTROL_FLAG_MASK) !== 0) continue;
      for (const record of decodeRecordBatch(result.records, batch.pos).records) {
        if (record.offset < offset) continue;
        if (records.length >= params.maxRecords) {
          nextOffset = record.offset;
          break;
        }
        records.push(this.render(partition, record, params.format));
        nextOffset = record.offset + 1;
      }
    }
    return { records, nextOffset, highWatermark: log.logEndOffset, logStartOffset: log.logStartOffset };
  }

  /** Nest calls this first when the app closes: release every long-poll. */
  onModuleDestroy(): void {
    this.shutdown.abort();
  }

  async offsets(topic: string, partition: number, timestamp: number | undefined): Promise<PartitionOffsetsDto> {
    const log = this.logManager.getLog(topic, partition);
    const out: PartitionOffsetsDto = {
      topic,
      partition,
      earliest: log.logStartOffset,
      latest: log.logEndOffset,
      highWatermark: log.logEndOffset,
    };
    if (timestamp !== undefined) {
      const found = await log.offsetForTimestamp(timestamp);
      out.byTimestamp = found === null ? null : { offset: found.offset, timestamp: found.timestamp };
    }
    return out;
  }

  private render(
    partition: number,
    record: { offset: number; timestamp: number; key: Buffer | null; value: Buffer | null; headers: Array<{ key: string; value: Buffer | null }> },
    format: RecordFormat,
  ): FetchedRecordDto {
    const headers: Record<string, string | null> = {};
    for (const h of record.headers) headers[h.key] = decodeHeaderValue(h.value, format, record.offset, h.key);
    return {
      partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: decodeData(record.key, format, record.offset, 'key'),
      value: decodeData(record.value, format, record.offset, 'value'),
      headers,
    };
  }
}

/** Parses a non-negative integer query parameter; absent -> undefined. */
export function queryInt(raw: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw) || Number(raw) > max) {
    throw new SpoolError('INVALID_REQUEST', `query parameter ${name} must be an integer in 0..${max}, got ${JSON.stringify(raw)}`, { field: name, value: raw });
  }
  return Number(raw);
}
