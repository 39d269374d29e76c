/**
 * Records of one partition: a page from an offset, a timestamp or the newest ones (HTTP fetch),
 * and a live tail of new records over the WebSocket face. Keys and values are rendered by the
 * broker (its auto/json/string/binary formats, the same rules as every API face); hex is the
 * binary rendering shown as hex digits.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { fetchRecords, listOffsets } from '../../../../sdk/src/index.js';
import type { Subscription } from '../../../../client/src/index.js';
import { call, http, streamingClient } from '../api.js';
import { formatTime, readFormatOf, renderField, type RenderMode } from '../format.js';
import { ErrorNote, useAction } from '../widgets.js';

const PAGE_RECORDS = 50;
/** The live tail keeps the newest this many rows. */
const TAIL_ROWS = 500;

interface Row {
  partition: number;
  offset: number;
  timestamp: number;
  key: unknown;
  value: unknown;
  headers: Record<string, string | null>;
  keyEncoding?: string;
  valueEncoding?: string;
  /** How the row was fetched (hex rows hold base64): later mode changes apply to later fetches. */
  keyMode: RenderMode;
  valueMode: RenderMode;
}

type StartMode = 'newest' | 'offset' | 'timestamp';

export function RecordBrowser({ topic, partitions }: { topic: string; partitions: number }) {
  const [partition, setPartition] = useState(0);
  const [mode, setMode] = useState<StartMode>('newest');
  const [offset, setOffset] = useState('0');
  const [when, setWhen] = useState('');
  const [keyMode, setKeyMode] = useState<RenderMode>('auto');
  const [valueMode, setValueMode] = useState<RenderMode>('auto');
  const [rows, setRows] = useState<Row[]>([]);
  const [live, setLive] = useState(false);
  const [liveError, setLiveError] = useState<Error | undefined>(undefined);
  /** True once the broker confirmed the subscription: records appended from then on will show. */
  const [following, setFollowing] = useState(false);
  const load = useAction();
  const formats = { keyFormat: readFormatOf(keyMode), valueFormat: readFormatOf(valueMode) };

  const browse = (): void =>
    void load.run(async () => {
      let from: number;
      if (mode === 'offset') from = Number(offset);
      else {
        const ts = mode === 'timestamp' ? Date.parse(`${when}Z`) : undefined;
        const offsets = await call(listOffsets({ client: http, path: { topic, partition }, query: ts === undefined ? {} : { timestamp: ts } }));
        if (mode === 'timestamp') {
          if (offsets.byTimestamp == null) {
            setRows([]);
            return 'No record at or after that time';
          }
          from = offsets.byTimestamp.offset;
        } else from = Math.max(offsets.earliest, offsets.latest - PAGE_RECORDS);
      }
      const page = await call(fetchRecords({ client: http, path: { topic, partition }, query: { offset: from, maxRecords: PAGE_RECORDS, ...formats } }));
      setRows(page.records.map((r) => ({ ...r, keyMode, valueMode }) as Row));
    });

  // Live tail: a WebSocket subscription from the end of the chosen partition, while the box is checked.
  const sub = useRef<Subscription | null>(null);
  useEffect(() => {
    if (!live) return;
    let stopped = false;
    setLiveError(undefined);
    streamingClient()
      .subscribe(topic, { partitions: [partition], from: 'latest', ...formats }, (batch) => {
        const fresh = batch.records.map((r) => ({ ...r, partition: batch.partition, keyMode, valueMode }) as Row);
        setRows((old) => [...old, ...fresh].slice(-TAIL_ROWS));
      })
      .then(
        (s) => {
          if (stopped) void s.unsubscribe();
          else {
            sub.current = s;
            setFollowing(true);
          }
        },
        (err: Error) => setLiveError(err),
      );
    return () => {
      stopped = true;
      setFollowing(false);
      void sub.current?.unsubscribe().catch(() => undefined);
      sub.current = null;
    };
  }, [live, topic, partition, keyMode, valueMode]);

  const modeSelect = (label: string, value: RenderMode, set: (m: RenderMode) => void) => (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.currentTarget.value as RenderMode)}>
        <option value="auto">auto</option>
        <option value="json">JSON</option>
        <option value="text">text</option>
        <option value="hex">hex</option>
      </select>
    </label>
  );

  return (
    <>
      <h2>Records</h2>
      <form
        class="inline"
        aria-label="Browse records"
        onSubmit={(e) => {
          e.preventDefault();
          browse();
        }}
      >
        <label>
          Partition
          <select name="partition" value={partition} onChange={(e) => setPartition(Number(e.currentTarget.value))}>
            {Array.from({ length: partitions }, (_, p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Start at
          <select name="start" value={mode} onChange={(e) => setMode(e.currentTarget.value as StartMode)}>
            <option value="newest">newest {PAGE_RECORDS}</option>
            <option value="offset">offset</option>
            <option value="timestamp">timestamp</option>
          </select>
        </label>
        {mode === 'offset' && (
          <label>
            Offset
            <input name="offset" type="number" min={0} value={offset} onInput={(e) => setOffset(e.currentTarget.value)} />
          </label>
        )}
        {mode === 'timestamp' && (
          <label>
            Time (UTC)
            <input name="timestamp" type="datetime-local" step={1} value={when} onInput={(e) => setWhen(e.currentTarget.value)} />
          </label>
        )}
        {modeSelect('Key as', keyMode, setKeyMode)}
        {modeSelect('Value as', valueMode, setValueMode)}
        <button type="submit" disabled={load.busy}>
          Load records
        </button>
        <label style={{ flexDirection: 'row', alignItems: 'center', gap: '0.4rem' }}>
          <input type="checkbox" name="live" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
          Follow new records live
        </label>
      </form>
      {live && (
        <p class="muted" role="status" data-testid="live-status">
          {following ? `Following partition ${partition} live over WebSocket` : 'Subscribing…'}
        </p>
      )}
      <ErrorNote error={load.error ?? liveError} />
      {load.note !== undefined && <p class="muted">{load.note}</p>}
      <table aria-label="Records" aria-live={live ? 'polite' : 'off'}>
        <thead>
          <tr>
            <th scope="col" class="num">Offset</th>
            <th scope="col">Timestamp (UTC)</th>
            <th scope="col">Key</th>
            <th scope="col">Value</th>
            <th scope="col">Headers</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.partition}-${r.offset}`} data-offset={r.offset}>
              <td class="num">{r.offset}</td>
              <td>{formatTime(r.timestamp)}</td>
              <td class="record">{renderField(r.key, r.keyMode, r.keyEncoding === 'base64')}</td>
              <td class="record">{renderField(r.value, r.valueMode, r.valueEncoding === 'base64')}</td>
              <td class="record">{Object.keys(r.headers).length === 0 ? '' : JSON.stringify(r.headers)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
