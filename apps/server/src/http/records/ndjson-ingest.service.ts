/**
 * Bulk ingest: `Content-Type: application/x-ndjson`, one produce record object per line (the
 * same fields as an element of `records` in a JSON produce request). The body is read as a
 * stream, never held whole: lines are validated and collected into chunks of
 * `ndjsonChunkRecords`, and each chunk is appended before more of the body is read (the socket
 * is paused meanwhile: backpressure reaches the client).
 *
 * Result: summarized, not streamed back: one JSON object when the body ends, with the record
 * count and the offset range per partition. Not atomic across chunks: a malformed or oversized
 * line refuses its chunk and everything after it, while the chunks before it stay appended; the
 * error envelope then says at which line it stopped and how many records were appended
 * (details.line, details.appendedRecords), so a client can resume from that line.
 */
import { Inject, Injectable } from '@nestjs/common';
import { SpoolError, isSpoolError } from '@spool/common';
import type { Readable } from 'node:stream';
import { HttpApiError } from '../errors/http-api.error.js';
import { HTTP_API_OPTIONS, type HttpApiOptions } from '../http-api.options.js';
import { TopicsService } from '../topics/topics.service.js';
import { assertJsonDepth } from '../../limits/json-depth.js';
import { prepareRecord, schemaViolation, validateRecordShape, type PreparedRecord } from '../../produce/produce-request.js';
import { ProduceService } from '../../produce/produce.service.js';
import type { ProduceFormats } from '../../records/record-formats.js';
import type { NdjsonIngestSummaryDto } from './produce.dto.js';

const NEWLINE = 0x0a;

@Injectable()
export class NdjsonIngestService {
  constructor(
    private readonly produce: ProduceService,
    private readonly topics: TopicsService,
    @Inject(HTTP_API_OPTIONS) private readonly options: HttpApiOptions,
  ) {}

  async ingest(topic: string, body: Readable, formats: ProduceFormats): Promise<NdjsonIngestSummaryDto> {
    const summary: NdjsonIngestSummaryDto = { recordCount: 0, partitions: {} };
    let lineNumber = 0;
    // The line of each record of the chunk being collected (blank lines are skipped), to name refused records by line.
    let chunkLines: number[] = [];
    let reading = true; // false while a read line is parsed or a chunk appended
    try {
      const info = await this.topics.resolveForProduce(topic);
      let chunk: PreparedRecord[] = [];
      const flush = async (): Promise<void> => {
        if (chunk.length === 0) return;
        const ranges = await this.produce.appendGroups(topic, chunk, info.partitions, { ...info.configs }, formats);
        for (const r of ranges) {
          const p = (summary.partitions[String(r.partition)] ??= { recordCount: 0, firstOffset: r.baseOffset, lastOffset: r.baseOffset });
          p.recordCount += r.recordCount;
          p.lastOffset = r.baseOffset + r.recordCount - 1;
        }
        summary.recordCount += chunk.length;
        chunk = [];
        chunkLines = [];
      };
      // The lines of each piece of the body come together: one await per piece, not per line.
      for await (const lines of this.lineBatches(body)) {
        for (const line of lines) {
          reading = false;
          lineNumber++;
          const record = this.parseLine(line, formats, lineNumber);
          if (record !== null) {
            chunk.push(record);
            chunkLines.push(lineNumber);
            if (chunk.length >= this.options.ndjsonChunkRecords) await flush();
          }
          reading = true;
        }
      }
      reading = false;
      await flush();
      return summary;
    } catch (err) {
      body.resume(); // discard the rest so the client reads the answer instead of a reset
      if (err instanceof HttpApiError && Array.isArray(err.details.records)) {
        // Schema validation refused the chunk (schemas/produce-schemas.ts): name each record's line.
        const records = (err.details.records as Array<{ index: number }>).map((r) => ({ ...r, line: chunkLines[r.index] }));
        const first = records[0]?.line ?? lineNumber;
        throw new HttpApiError(err.code, `${err.message} (NDJSON line ${first}; its chunk was refused whole; ${summary.recordCount} records before it were appended)`, {
          ...err.details,
          records,
          line: first,
          appendedRecords: summary.recordCount,
          partitions: summary.partitions,
        });
      }
      if (!isSpoolError(err)) throw err;
      // An error while reading is about the line being read: the one after the last counted.
      const line = reading ? lineNumber + 1 : lineNumber;
      throw new SpoolError(err.code, `${err.message} (NDJSON line ${line}; ${summary.recordCount} records before it were appended)`, {
        ...err.details,
        line,
        appendedRecords: summary.recordCount,
        partitions: summary.partitions,
      });
    }
  }

  private parseLine(line: Buffer, formats: ProduceFormats, lineNumber: number): PreparedRecord | null {
    const text = line.toString('utf8').trim();
    if (text === '') return null;
    assertJsonDepth(text, this.options.maxJsonDepth, `NDJSON line ${lineNumber}`);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new SpoolError('INVALID_REQUEST', `NDJSON line ${lineNumber} is not JSON: ${(err as Error).message}`, { line: lineNumber });
    }
    if (!validateRecordShape(raw)) throw schemaViolation(validateRecordShape.errors, `line ${lineNumber}`);
    return prepareRecord(raw as Parameters<typeof prepareRecord>[0], formats, () => `line ${lineNumber}`);
  }

  /**
   * Splits the stream at '\n' (a trailing '\r' is trimmed with the whitespace), bounding each
   * line: the complete lines of each piece of the body as one batch (a promise per piece rather
   * than per line: a million short lines made a million awaits). A line past the bound throws
   * after the batch of the lines before it was handed out, so those are still appended and the
   * error names the right line.
   */
  private async *lineBatches(body: Readable): AsyncGenerator<Buffer[]> {
    const max = this.options.maxNdjsonLineBytes;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const piece of body as AsyncIterable<Buffer | string>) {
      const data = typeof piece === 'string' ? Buffer.from(piece) : piece;
      const batch: Buffer[] = [];
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        const tail = data.subarray(start, nl);
        if (pendingBytes + tail.length > max) {
          if (batch.length > 0) yield batch;
          throw this.lineTooLong(pendingBytes + tail.length);
        }
        batch.push(pending.length === 0 ? tail : Buffer.concat([...pending, tail]));
        pending = [];
        pendingBytes = 0;
        start = nl + 1;
      }
      if (start < data.length) {
        pendingBytes += data.length - start;
        if (pendingBytes > max) {
          if (batch.length > 0) yield batch;
          throw this.lineTooLong(pendingBytes);
        }
        pending.push(data.subarray(start));
      }
      if (batch.length > 0) yield batch;
    }
    if (pendingBytes > 0) yield [Buffer.concat(pending)];
  }

  private lineTooLong(bytes: number): SpoolError {
    const max = this.options.maxNdjsonLineBytes;
    return new SpoolError('MESSAGE_TOO_LARGE', `an NDJSON line exceeds ${max} bytes (at least ${bytes})`, { limit: max, lineBytes: bytes });
  }
}
