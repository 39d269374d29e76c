/** Topics: the list with sizes, retention and live rates; filtering, paging and a create form. */
import { useState } from 'preact/hooks';
import { createTopic, listTopics, type TopicSummary } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { formatBytes, formatCount, formatMs, formatRate } from '../format.js';
import { href, usePoll, useRates } from '../hooks.js';
import { ActionResult, ErrorNote, useAction, usePage } from '../widgets.js';

type Row = TopicSummary & { rates: Record<string, number | undefined> };

export function TopicsPage() {
  const rates = useRates();
  const topics = usePoll(
    async () => {
      const { topics: list } = await call(listTopics({ client: http }));
      return list.map((t): Row => ({ ...t, rates: rates(t.name, { recordsIn: t.recordsInTotal, bytesIn: t.bytesInTotal, bytesOut: t.bytesOutTotal }) }));
    },
    3000,
    [],
  );
  const [filter, setFilter] = useState('');
  const rows = (topics.data ?? []).filter((t) => t.name.includes(filter));
  const { visible, pager } = usePage(rows);
  return (
    <section aria-labelledby="topics-title">
      <h1 id="topics-title">Topics</h1>
      <CreateTopicForm onCreated={topics.reload} />
      <ErrorNote error={topics.error} />
      <div class="toolbar">
        <label>
          Filter by name
          <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
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
          {visible.map((t) => (
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
      {topics.data?.length === 0 && <p class="muted">No topics yet.</p>}
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
