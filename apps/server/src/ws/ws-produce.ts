/**
 * The produce frame: the HTTP produce request's record shape, formats and acks, validated by the
 * same schema and appended by the same ProduceService (partitioner, batches, auto-create,
 * internal-topic policy), so a record produced over WebSocket is stored exactly as over HTTP.
 */
import { parseProduceRequest } from '../produce/produce-request.js';
import type { ProduceResult, ProduceService } from '../produce/produce.service.js';

export async function handleProduceFrame(
  produce: ProduceService,
  frame: {
    readonly topic: string;
    readonly records: unknown;
    readonly acks?: unknown;
    readonly keyFormat?: unknown;
    readonly valueFormat?: unknown;
    readonly format?: unknown;
    readonly keySchema?: unknown;
    readonly valueSchema?: unknown;
  },
): Promise<ProduceResult[]> {
  const body: Record<string, unknown> = { records: frame.records };
  if (frame.acks !== undefined) body.acks = frame.acks;
  if (frame.keyFormat !== undefined) body.keyFormat = frame.keyFormat;
  if (frame.valueFormat !== undefined) body.valueFormat = frame.valueFormat;
  if (frame.format !== undefined) body.format = frame.format;
  if (frame.keySchema !== undefined) body.keySchema = frame.keySchema;
  if (frame.valueSchema !== undefined) body.valueSchema = frame.valueSchema;
  const request = parseProduceRequest(body, produce.maxRecordsPerRequest);
  return produce.produce(frame.topic, request);
}
