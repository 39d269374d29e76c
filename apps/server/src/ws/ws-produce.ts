/**
 * The produce frame: the HTTP produce request's record shape, format and acks, validated by the
 * same schema and appended by the same ProduceService (partitioner, batches, auto-create,
 * internal-topic policy), so a record produced over WebSocket is stored exactly as over HTTP.
 */
import type { ProduceService } from '../http/records/produce.service.js';
import { parseProduceRequest } from '../http/records/produce-request.schema.js';
import type { ProduceResultDto } from '../http/records/produce.dto.js';

export async function handleProduceFrame(
  produce: ProduceService,
  frame: { readonly topic: string; readonly records: unknown; readonly acks?: unknown; readonly format?: unknown },
): Promise<ProduceResultDto[]> {
  const body: Record<string, unknown> = { records: frame.records };
  if (frame.acks !== undefined) body.acks = frame.acks;
  if (frame.format !== undefined) body.format = frame.format;
  const request = parseProduceRequest(body, produce.maxRecordsPerRequest);
  return produce.produce(frame.topic, request);
}
