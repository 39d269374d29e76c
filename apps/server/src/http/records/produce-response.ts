/**
 * The JSON text of a produce response, built by hand: one result per record is the contract,
 * and for a 1000-record request JSON.stringify of 1000 small objects costs ~20x what this
 * concatenation does (bench/produce-validation.bench.ts, docs/decisions.md). Results with an
 * error, or from acks=none, go through JSON.stringify.
 */
import type { ProduceResultDto } from './produce.dto.js';

export function serializeProduceResults(results: readonly ProduceResultDto[]): string {
  let out = '{"results":[';
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (i > 0) out += ',';
    out +=
      r.error === undefined && r.offset !== undefined && r.timestamp !== undefined
        ? '{"partition":' + r.partition + ',"offset":' + r.offset + ',"timestamp":' + r.timestamp + '}'
        : JSON.stringify(r);
  }
  return out + ']}';
}
