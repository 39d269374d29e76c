/**
 * `spool consume --group`: the CLI as a member of a consumer group. Group membership exists on the
 * WebSocket face only (docs/websocket-protocol.md, "Consumer groups"; HTTP has no join), so this
 * is the one part of the CLI not on the OpenAPI SDK: it uses @spool/client, the project's client
 * for that public protocol, over Node's `ws`.
 *
 * Commits follow what was printed: @spool/client commits, every second and on revocation, the
 * batches whose handler finished, and the handler finishes only once stdout took the batch. When
 * --count ends the run in the middle of a batch, the exact position after the last printed record
 * is committed (with the batch's generation) before the connection closes, so the next member
 * starts right after it: nothing printed is read twice, nothing unprinted is skipped.
 */
import WebSocket from 'ws';
import { SpoolClient } from '../../../../client/src/spool-client.js';
import type { RecordsBatch, SpoolRecord, WebSocketLike } from '../../../../client/src/types.js';
import { BrokerApi } from '../api/broker-api.js';
import { CliError } from '../cli.error.js';
import type { Context } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import type { ReadFormats } from './partition-reader.js';

export interface GroupReadOptions {
  readonly topic: string;
  readonly group: string;
  readonly from: 'earliest' | 'latest';
  readonly formats: ReadFormats;
  readonly signal: AbortSignal;
  /** Prints records; resolves with how many it took (fewer than given once the budget is spent). */
  readonly onRecords: (records: readonly (SpoolRecord & { partition: number })[]) => Promise<number>;
}

export async function readGroup(ctx: Context, o: GroupReadOptions): Promise<void> {
  const headers = BrokerApi.headers(ctx.connection);
  let failure: Error | undefined;
  let fail: (err: Error) => void = () => undefined;
  const failed = new Promise<void>((resolve) => {
    fail = (err) => {
      failure ??= err;
      resolve();
    };
  });
  const client = new SpoolClient({
    url: ctx.connection.url,
    webSocket: (url) => new WebSocket(url, { headers, perMessageDeflate: false }) as unknown as WebSocketLike,
    onError: (err) => {
      const code = (err as { code?: string }).code ?? 'ERROR';
      fail(new CliError(`group ${o.group}: ${err.message}`, code === 'UNKNOWN_TOPIC_OR_PARTITION' ? ExitCode.NOT_FOUND : ExitCode.ERROR, undefined, code));
    },
  });
  const stopped = new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    o.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  const handler = async (batch: RecordsBatch): Promise<void> => {
    if (o.signal.aborted) return new Promise(() => undefined); // stopping: hand back nothing, commit nothing more
    const records = batch.records.map((r) => ({ partition: batch.partition, ...r }));
    const taken = await o.onRecords(records);
    if (taken < records.length) {
      // The budget ended inside this batch: commit exactly after the last printed record, then stop
      // without returning (returning would mark the whole batch handled).
      const last = records[taken - 1];
      if (last !== undefined) await client.commit(o.group, [{ topic: batch.topic, partition: batch.partition, offset: last.offset + 1 }], batch.generationId);
      return new Promise(() => undefined);
    }
  };
  try {
    await Promise.race([client.connect(), failed]);
    if (failure) throw failure;
    const member = await Promise.race([client.join(o.group, [o.topic], { from: o.from, ...o.formats }, handler), failed.then(() => undefined)]);
    if (failure || member === undefined) throw failure ?? new CliError(`could not join group ${o.group}`, ExitCode.ERROR);
    await Promise.race([stopped, failed]);
    if (failure) throw failure;
    // Commit what finished printing, then leave so the group rebalances at once.
    await member.commitHandled().catch(() => undefined);
    await client.request({ type: 'leave', id: member.id }).catch(() => undefined);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot consume as group ${o.group} from ${ctx.connection.url}: ${(err as Error).message}`, ExitCode.UNAVAILABLE, 'is the broker running? Point the CLI at it with --url or SPOOL_URL', (err as { code?: string }).code ?? 'BROKER_UNREACHABLE');
  } finally {
    client.close();
  }
}
