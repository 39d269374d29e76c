/**
 * Topics: the list with sizes, retention and live rates, and a create form. Paged by the server
 * (GET /v1/topics with limit, a name cursor and a search text): a broker with thousands of topics
 * sends one page of 50, and the filter runs on the broker, over all of them.
 */
import { useState } from 'preact/hooks';
import { createTopic, listTopics, type TopicSummary } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { formatBytes, formatCount, formatMs, formatRate } from '../format.js';
import { href, usePoll, useRates } from '../hooks.js';
import { ActionResult, ErrorNote, useAction } from '../widgets.js';

const PAGE_SIZE = 50;

type Row = TopicSummary & { rates: Record<string, number | undefined> };

export function TopicsPage() {
  const rates = useRates();
  const [filter, setFilter] = useState('');
  // The cursors of the pages before this one (Previous pops one); undefined: the first page.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const after = cursors[cursors.length - 1];
  const topics = usePoll(
    async () => {
      const list = await call(listTopics({ client: http, query: { limit: PAGE_SIZE, search: filter, ...(after !== undefined && { after }) } }));
      return { ...list, rows: list.topics.map((t): Row => ({ ...t, rates: rates(t.name, { recordsIn: t.recordsInTotal, bytesIn: t.bytesInTotal, bytesOut: t.bytesOutTotal }) })) };
    },
    3000,
    [filter, after],
  );
  const data = topics.data;
  const firstRow = (cursors.length - 1) * PAGE_SIZE + 1;
  const pager =
    data === undefined || (cursors.length === 1 && data.nextAfter === null) ? null : (
      <div class="pager">
        <button type="button" class="secondary" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
          Previous
        </button>
        <span data-testid="topics-range">
          Topics {formatCount(Math.min(firstRow, data.total))}–{formatCount(firstRow + data.rows.length - 1)} of {formatCount(data.total)}
        </span>
        <button type="button" class="secondary" disabled={data.nextAfter === null} onClick={() => data.nextAfter !== null && setCursors([...cursors, data.nextAfter])}>
          Next
        </button>
      </div>
    );
  return (
    <section aria-labelledby="topics-title">
      <h1 id="topics-title">Topics</h1>
      <CreateTopicForm onCreated={topics.reload} />
      <ErrorNote error={topics.error} />
      <div class="toolbar">
        <label>
          Filter by name
          <input
            type="search"
            value={filter}
            onInput={(e) => {
              setFilter(e.currentTarget.value);
              setCursors([undefined]);
            }}
          />
        </label>
      </div>
      {pager}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col" class="num">Partitions</th>
            <th scope="col" class="num">Records</th>
            <th scope="col" class="num">Size</th>
            <th scope="col">Retention</th>
            <th scope="col">Cleanup</th>
            <th scope="col" class="num">In</th>
            <th scope="col" class="num">In bytes</th>
            <th scope="col" class="num">Out bytes</th>
          </tr>
        </thead>
        <tbody>
          {(data?.rows ?? []).map((t) => (
            <tr key={t.name} data-topic={t.name}>
              <td>
                <a href={href('topics', t.name)}>{t.name}</a>
              </td>
              <td class="num">{t.partitions}</td>
              <td class="num">{formatCount(t.records)}</td>
              <td class="num">{formatBytes(t.size)}</td>
              <td>{formatMs(t.retentionMs)}</td>
              <td>{t.cleanupPolicy}</td>
              <td class="num">{formatRate(t.rates.recordsIn, 'records')}</td>
              <td class="num">{formatRate(t.rates.bytesIn, 'bytes')}</td>
              <td class="num">{formatRate(t.rates.bytesOut, 'bytes')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.total === 0 && <p class="muted">{filter === '' ? 'No topics yet.' : 'No topic matches the filter.'}</p>}
      {pager}
    </section>
  );
}

function CreateTopicForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [partitions, setPartitions] = useState('1');
  const [retentionMs, setRetentionMs] = useState('');
  const [cleanupPolicy, setCleanupPolicy] = useState('');
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      const configs: Record<string, string> = {};
      if (retentionMs !== '') configs['retention.ms'] = retentionMs;
      if (cleanupPolicy !== '') configs['cleanup.policy'] = cleanupPolicy;
      // The API validates name, partition count and configs; its message is shown as it is.
      await call(createTopic({ client: http, body: { name, partitions: Number(partitions), configs } }));
      onCreated();
      setName('');
      return `Created topic ${name}`;
    });
  };
  return (
    <form class="inline" onSubmit={submit} aria-label="Create a topic">
      <label>
        Topic name
        <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Partitions
        <input name="partitions" type="number" min={1} required value={partitions} onInput={(e) => setPartitions(e.currentTarget.value)} />
      </label>
      <label>
        retention.ms (optional)
        <input name="retention.ms" inputMode="numeric" value={retentionMs} onInput={(e) => setRetentionMs(e.currentTarget.value)} />
      </label>
      <label>
        cleanup.policy
        <select name="cleanup.policy" value={cleanupPolicy} onChange={(e) => setCleanupPolicy(e.currentTarget.value)}>
          <option value="">default</option>
          <option value="delete">delete</option>
          <option value="compact">compact</option>
          <option value="compact,delete">compact,delete</option>
        </select>
      </label>
      <button type="submit" disabled={action.busy}>
        Create topic
      </button>
      <ActionResult error={action.error} note={action.note} />
    </form>
  );
}
