/** Produce one record over the HTTP API: key, value (JSON or text), headers, optional partition. */
import { useState } from 'preact/hooks';
import { produce, type ProduceRecord } from '../../../../sdk/src/index.js';
import { ApiError, call, http } from '../api.js';
import { ActionResult, useAction } from '../widgets.js';

export function ProduceForm({ topic, partitions, onProduced }: { topic: string; partitions: number; onProduced: () => void }) {
  const [partition, setPartition] = useState('');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [valueFormat, setValueFormat] = useState<'json' | 'string'>('json');
  const [headers, setHeaders] = useState('');
  const action = useAction();

  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      let parsed: unknown = value;
      if (valueFormat === 'json') {
        try {
          parsed = JSON.parse(value);
        } catch (err) {
          throw new ApiError('INVALID_JSON', `the value is not JSON (${(err as Error).message}); choose "text" to send it as a string`, 0);
        }
      }
      const record: ProduceRecord = {
        value: parsed as ProduceRecord['value'],
        ...(key !== '' && { key }),
        ...(partition !== '' && { partition: Number(partition) }),
        ...(headers.trim() !== '' && { headers: parseHeaders(headers) }),
      };
      const res = await call(produce({ client: http, path: { topic }, body: { records: [record], valueFormat } }));
      if (!('results' in res)) throw new ApiError('UNEXPECTED_ANSWER', 'the broker answered without per-record results', 0);
      const result = res.results[0]!;
      onProduced();
      return `Produced to partition ${result.partition} at offset ${result.offset}`;
    });
  };

  return (
    <>
      <h2>Produce a record</h2>
      <form class="inline" aria-label="Produce a record" onSubmit={submit}>
        <label>
          Partition
          <select name="partition" value={partition} onChange={(e) => setPartition(e.currentTarget.value)}>
            <option value="">by key (default partitioner)</option>
            {Array.from({ length: partitions }, (_, p) => (
              <option key={p} value={String(p)}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Key (optional)
          <input name="key" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <label>
          Value
          <textarea name="value" rows={3} required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <label>
          Value format
          <select name="valueFormat" value={valueFormat} onChange={(e) => setValueFormat(e.currentTarget.value as 'json' | 'string')}>
            <option value="json">JSON</option>
            <option value="string">text</option>
          </select>
        </label>
        <label>
          Headers (name=value per line)
          <textarea name="headers" rows={2} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy}>
          Produce
        </button>
      </form>
      <ActionResult error={action.error} note={action.note} />
    </>
  );
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ApiError('INVALID_HEADER', `header line ${JSON.stringify(line)} is not name=value`, 0);
    headers[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return headers;
}
