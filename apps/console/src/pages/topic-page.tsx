/** One topic: partitions with offsets and rates, configs (edit, reset), delete, records, produce. */
import { useState } from 'preact/hooks';
import { alterTopicConfigs, deleteTopic, describeTopic } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { formatBytes, formatCount, formatRate } from '../format.js';
import { href, usePoll, useRates } from '../hooks.js';
import { VirtualTable } from '../virtual-rows.js';
import { ActionResult, ErrorNote, useAction } from '../widgets.js';
import { ProduceForm } from './produce-form.js';
import { RecordBrowser } from './record-browser.js';

export function TopicPage({ topic }: { topic: string }) {
  const rates = useRates();
  const described = usePoll(
    async () => {
      const d = await call(describeTopic({ client: http, path: { topic } }));
      const partitionRates = d.partitions.map((p) => rates(String(p.partition), { recordsIn: p.recordsInTotal, bytesIn: p.bytesInTotal, bytesOut: p.bytesOutTotal }));
      return { ...d, partitionRates };
    },
    3000,
    [topic],
  );
  const d = described.data;
  return (
    <section aria-labelledby="topic-title">
      <p>
        <a href={href('topics')}>Topics</a> /
      </p>
      <h1 id="topic-title">{topic}</h1>
      <ErrorNote error={described.error} />
      {d !== undefined && (
        <>
          <p class="muted">Topic id {d.id}</p>
          <h2>Partitions</h2>
          {/* A topic may have thousands of partitions: only the scrolled window is rendered. */}
          <VirtualTable
            label="Partitions"
            rows={d.partitions}
            columns={9}
            header={
              <tr aria-rowindex={1}>
                <th scope="col" class="num">Partition</th>
                <th scope="col" class="num">Start offset</th>
                <th scope="col" class="num">End offset (HW)</th>
                <th scope="col" class="num">Size</th>
                <th scope="col" class="num">Leader</th>
                <th scope="col">Replicas</th>
                <th scope="col">ISR</th>
                <th scope="col" class="num">In</th>
                <th scope="col" class="num">Out bytes</th>
              </tr>
            }
            renderRow={(p, i) => (
              <tr key={p.partition} data-partition={p.partition} aria-rowindex={i + 2}>
                <td class="num">{p.partition}</td>
                <td class="num">{formatCount(p.logStartOffset)}</td>
                <td class="num" data-testid={`hw-${p.partition}`}>
                  {formatCount(p.highWatermark)}
                </td>
                <td class="num">{formatBytes(p.size)}</td>
                <td class="num">{p.leader}</td>
                <td>{p.replicas.join(', ')}</td>
                <td>{p.isr.join(', ')}</td>
                <td class="num">{formatRate(d.partitionRates[p.partition]?.recordsIn, 'records')}</td>
                <td class="num">{formatRate(d.partitionRates[p.partition]?.bytesOut, 'bytes')}</td>
              </tr>
            )}
          />
          <RecordBrowser topic={topic} partitions={d.partitions.length} />
          <ProduceForm topic={topic} partitions={d.partitions.length} onProduced={described.reload} />
          <ConfigEditor topic={topic} configs={d.configs} onChanged={described.reload} />
          <DeleteTopic topic={topic} />
        </>
      )}
    </section>
  );
}

function ConfigEditor({ topic, configs, onChanged }: { topic: string; configs: Record<string, string>; onChanged: () => void }) {
  const names = Object.keys(configs).sort();
  const [name, setName] = useState('retention.ms');
  const [value, setValue] = useState('');
  const action = useAction();
  // Validation is the API's (INVALID_CONFIG with the reason); the console only sends.
  const alter = (next: string | null): void =>
    void action.run(async () => {
      await call(alterTopicConfigs({ client: http, path: { topic }, body: { configs: { [name]: next } } }));
      onChanged();
      return next === null ? `Reset ${name} to its default` : `Set ${name} = ${next}`;
    });
  return (
    <>
      <h2>Configs</h2>
      <form
        class="inline"
        aria-label="Change a config"
        onSubmit={(e) => {
          e.preventDefault();
          alter(value);
        }}
      >
        <label>
          Config
          <select name="config" value={name} onChange={(e) => setName(e.currentTarget.value)}>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          New value
          <input name="value" required value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy}>
          Set
        </button>
        <button type="button" class="secondary" disabled={action.busy} onClick={() => alter(null)}>
          Reset to default
        </button>
      </form>
      <ActionResult error={action.error} note={action.note} />
      <table aria-label="Configs">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Effective value</th>
          </tr>
        </thead>
        <tbody>
          {names.map((n) => (
            <tr key={n}>
              <td>{n}</td>
              <td data-config={n}>{configs[n]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function DeleteTopic({ topic }: { topic: string }) {
  const [typed, setTyped] = useState('');
  const action = useAction();
  return (
    <>
      <h2>Delete</h2>
      <form
        class="inline"
        aria-label="Delete this topic"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            await call(deleteTopic({ client: http, path: { topic } }));
            location.hash = href('topics');
          });
        }}
      >
        <label>
          Type the topic name to confirm
          <input name="confirm" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} autocomplete="off" />
        </label>
        <button type="submit" class="danger" disabled={typed !== topic || action.busy}>
          Delete topic
        </button>
      </form>
      <ActionResult error={action.error} note={action.note} />
    </>
  );
}
