/**
 * Edits a push subscription's settings with PATCH /v1/subscriptions/{name}: the form starts from
 * the current settings and sends only the fields that changed (the API validates them: an unknown
 * topic, a refused endpoint or a number out of range comes back as its error, shown as it is). The
 * filter is sent whole, as the API replaces it whole: clearing both of its fields removes it.
 */
import { useState } from 'preact/hooks';
import { updateSubscription, type Subscription, type UpdateSubscription } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { ActionResult, useAction } from '../widgets.js';

const FORMATS = ['auto', 'json', 'string', 'binary'] as const;
type Format = (typeof FORMATS)[number];

function topicsText(s: Subscription): string {
  return s.topics !== null ? s.topics.join(', ') : `/${s.topicPattern ?? ''}/`;
}

function headersText(s: Subscription): string {
  return Object.entries(s.filter?.headers ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

/** `name=value` lines (blank lines skipped); a line without `=` is refused before anything is sent. */
function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`filter header "${line}" is not name=value`);
    headers[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return headers;
}

/** Starts from the settings when the page opened, and from the saved ones after each save (the table above stays live). */
export function SubscriptionSettingsForm({ subscription: s, onSaved }: { subscription: Subscription; onSaved: () => void }) {
  const [url, setUrl] = useState(s.url);
  const [topics, setTopics] = useState(topicsText(s));
  const [headers, setHeaders] = useState(headersText(s));
  const [keyPrefix, setKeyPrefix] = useState(s.filter?.keyPrefix ?? '');
  const [ordering, setOrdering] = useState(s.ordering);
  const [concurrency, setConcurrency] = useState(String(s.concurrency));
  const [maxRecords, setMaxRecords] = useState(String(s.batch.maxRecords ?? 1));
  const [maxWaitMs, setMaxWaitMs] = useState(String(s.batch.maxWaitMs ?? 200));
  const [timeoutMs, setTimeoutMs] = useState(String(s.timeoutMs));
  const [keyFormat, setKeyFormat] = useState<Format>(s.keyFormat);
  const [valueFormat, setValueFormat] = useState<Format>(s.valueFormat);
  const action = useAction();
  const load = (n: Subscription): void => {
    setUrl(n.url);
    setTopics(topicsText(n));
    setHeaders(headersText(n));
    setKeyPrefix(n.filter?.keyPrefix ?? '');
    setOrdering(n.ordering);
    setConcurrency(String(n.concurrency));
    setMaxRecords(String(n.batch.maxRecords ?? 1));
    setMaxWaitMs(String(n.batch.maxWaitMs ?? 200));
    setTimeoutMs(String(n.timeoutMs));
    setKeyFormat(n.keyFormat);
    setValueFormat(n.valueFormat);
  };

  const changes = (): UpdateSubscription => {
    const body: UpdateSubscription = {};
    if (url !== s.url) body.url = url;
    if (topics.trim() !== topicsText(s)) {
      const pattern = /^\/(.+)\/$/.exec(topics.trim());
      if (pattern) body.topicPattern = pattern[1];
      else body.topics = topics.split(',').map((t) => t.trim()).filter((t) => t !== '');
    }
    const filterHeaders = parseHeaders(headers);
    const filter = { ...(Object.keys(filterHeaders).length > 0 && { headers: filterHeaders }), ...(keyPrefix !== '' && { keyPrefix }) };
    if (JSON.stringify(filter) !== JSON.stringify(s.filter ?? {})) body.filter = filter;
    if (ordering !== s.ordering) body.ordering = ordering;
    if (Number(concurrency) !== s.concurrency) body.concurrency = Number(concurrency);
    const batch = { ...(Number(maxRecords) !== (s.batch.maxRecords ?? 1) && { maxRecords: Number(maxRecords) }), ...(Number(maxWaitMs) !== (s.batch.maxWaitMs ?? 200) && { maxWaitMs: Number(maxWaitMs) }) };
    if (Object.keys(batch).length > 0) body.batch = batch;
    if (Number(timeoutMs) !== s.timeoutMs) body.timeoutMs = Number(timeoutMs);
    if (keyFormat !== s.keyFormat) body.keyFormat = keyFormat;
    if (valueFormat !== s.valueFormat) body.valueFormat = valueFormat;
    return body;
  };

  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      const body = changes();
      if (Object.keys(body).length === 0) return 'Nothing changed';
      load(await call(updateSubscription({ client: http, path: { name: s.name }, body })));
      onSaved();
      return `Saved: ${Object.keys(body).join(', ')}`;
    });
  };

  const number = (label: string, value: string, set: (v: string) => void, min: number, max: number) => (
    <label>
      {label}
      <input type="number" min={min} max={max} step={1} required value={value} onInput={(e) => set(e.currentTarget.value)} />
    </label>
  );
  const format = (label: string, value: Format, set: (v: Format) => void) => (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.currentTarget.value as Format)}>
        {FORMATS.map((f) => (
          <option key={f} value={f}>
            {f}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <form class="inline" onSubmit={submit} aria-label="Edit the subscription's settings">
      <label>
        Endpoint URL
        <input type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </label>
      <label>
        Topics (comma-separated, or /regex/)
        <input required value={topics} onInput={(e) => setTopics(e.currentTarget.value)} />
      </label>
      <label>
        Filter headers (name=value per line)
        <textarea rows={2} value={headers} onInput={(e) => setHeaders(e.currentTarget.value)} />
      </label>
      <label>
        Filter key prefix
        <input value={keyPrefix} onInput={(e) => setKeyPrefix(e.currentTarget.value)} />
      </label>
      <label>
        Ordering
        <select value={ordering} onChange={(e) => setOrdering(e.currentTarget.value as 'key' | 'none')}>
          <option value="key">key (in order per partition)</option>
          <option value="none">none (in parallel)</option>
        </select>
      </label>
      {number('Concurrency', concurrency, setConcurrency, 1, 256)}
      {number('Records per request', maxRecords, setMaxRecords, 1, 1000)}
      {number('Batch wait (ms)', maxWaitMs, setMaxWaitMs, 0, 60_000)}
      {number('Request timeout (ms)', timeoutMs, setTimeoutMs, 100, 60_000)}
      {format('Key format', keyFormat, setKeyFormat)}
      {format('Value format', valueFormat, setValueFormat)}
      <button type="submit" disabled={action.busy}>
        Save settings
      </button>
      <ActionResult error={action.error} note={action.note} />
    </form>
  );
}
