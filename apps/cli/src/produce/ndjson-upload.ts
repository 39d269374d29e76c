/**
 * Streams an input through RecordEncoder into one NDJSON ingest request (the SDK's `produce` with
 * an `application/x-ndjson` body). The body is a pull stream: the next input chunk is read only
 * when fetch wants more bytes, and the broker reads its request body only as it appends (1000
 * records at a time), so memory stays bounded at both ends however large the input is.
 */
import { produce, type NdjsonIngestSummary, type ProduceRequest } from '../../../../sdk/src/index.js';
import type { BrokerApi } from '../api/broker-api.js';
import { InputLineError, type RecordEncoder } from './record-encoder.js';

export interface UploadResult {
  readonly summary: NdjsonIngestSummary;
  /** The input line that stopped the upload (the records before it were sent and appended). */
  readonly inputError: InputLineError | undefined;
  readonly bytesRead: number;
}

/** No bound on one upload's duration but the user's interrupt (a million records take seconds, a billion an hour). */
const UPLOAD_TIMEOUT_MS = 2 ** 31 - 1;

export async function uploadNdjson(
  api: BrokerApi,
  topic: string,
  input: AsyncIterable<Uint8Array>,
  encoder: RecordEncoder,
  onProgress: (records: number, bytesRead: number) => void,
  signal: AbortSignal,
): Promise<UploadResult> {
  const iterator = input[Symbol.asyncIterator]();
  let inputError: InputLineError | undefined;
  let bytesRead = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        let text: string;
        try {
          text = encoder.encode(next.done ? new Uint8Array(0) : next.value, next.done === true);
        } catch (err) {
          if (!(err instanceof InputLineError)) throw err;
          // Send the good lines before the bad one and end the body there: the broker appends them
          // and answers with a summary, so the user knows exactly where to resume.
          inputError = err;
          if (encoder.encodedBefore.length > 0) controller.enqueue(Buffer.from(encoder.encodedBefore));
          controller.close();
          await iterator.return?.();
          return;
        }
        if (!next.done) bytesRead += next.value.length;
        if (text.length > 0) controller.enqueue(Buffer.from(text));
        onProgress(encoder.records, bytesRead);
        if (next.done) controller.close();
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 1 },
  );
  const { valueFormat, keyFormat } = encoder.options;
  const summary = (await api.call(
    (base) =>
      produce({
        ...base,
        path: { topic },
        query: { valueFormat, keyFormat },
        headers: { 'Content-Type': 'application/x-ndjson' },
        body: body as unknown as ProduceRequest,
        bodySerializer: null,
        // Node's fetch streams a request body only in half-duplex mode.
        ...({ duplex: 'half' } as object),
      }),
    UPLOAD_TIMEOUT_MS,
    signal,
  )) as NdjsonIngestSummary;
  return { summary, inputError, bytesRead };
}
