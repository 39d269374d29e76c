/** One push subscription: settings (and their edit form), delivery stats, lag per partition, last errors; pause, resume, delete. */
import { useState } from 'preact/hooks';
import { deleteSubscription, describeSubscription, pauseSubscription, resumeSubscription } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { formatCount, formatTime } from '../format.js';
import { href, usePoll } from '../hooks.js';
import { ActionResult, Card, ErrorNote, useAction } from '../widgets.js';
import { SubscriptionSettingsForm } from './subscription-settings-form.js';

export function SubscriptionPage({ name }: { name: string }) {
  const sub = usePoll(() => call(describeSubscription({ client: http, path: { name } })), 2000, [name]);
  const action = useAction();
  const [confirm, setConfirm] = useState('');
  const s = sub.data;
  const lag = s?.offsets.reduce((n, o) => n + (o.lag ?? 0), 0);
  return (
    <section aria-labelledby="subscription-title">
      <p>
        <a href={href('subscriptions')}>← Subscriptions</a>
      </p>
      <h1 id="subscription-title">Subscription {name}</h1>
      <ErrorNote error={sub.error} />
      {s !== undefined && (
        <>
          <div class="cards">
            <Card label="State" value={s.state} testId="subscription-state" />
            <Card label="Lag" value={formatCount(lag ?? 0)} testId="subscription-lag" />
            <Card label="Delivered records" value={formatCount(s.stats.deliveredRecords)} testId="subscription-delivered" />
            <Card label="Failed attempts" value={formatCount(s.stats.failedAttempts)} />
            <Card label="Dead-lettered records" value={formatCount(s.stats.deadLetteredRecords)} />
            <Card label="Retrying" value={formatCount(s.stats.retrying)} />
          </div>
          {s.reason !== null && <p class="error">Disabled: {s.reason}</p>}
          <h2>Settings</h2>
          <table aria-label="Settings">
            <tbody>
              {(
                [
                  ['Endpoint', s.url],
                  ['Topics', s.topics !== null ? s.topics.join(', ') : `/${s.topicPattern ?? ''}/`],
                  ['Filter', s.filter === null ? 'none' : JSON.stringify(s.filter)],
                  ['Ordering', s.ordering],
                  ['Concurrency', String(s.concurrency)],
                  ['Batch', `up to ${s.batch.maxRecords ?? 1} per request, ${s.batch.maxWaitMs ?? 200} ms wait`],
                  ['Request timeout', `${s.timeoutMs} ms`],
                  ['Consumer group', s.group],
                  ['Dead-letter topic', s.deadLetterTopic],
                  ['Last delivery', s.stats.lastDeliveredAt === null ? '–' : formatTime(s.stats.lastDeliveredAt)],
                ] as const
              ).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td>{k === 'Consumer group' ? <a href={href('groups', v)}>{v}</a> : v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="toolbar">
            {s.state === 'active' ? (
              <button type="button" class="secondary" disabled={action.busy} onClick={() => void action.run(async () => {
                  await call(pauseSubscription({ client: http, path: { name } }));
                  sub.reload();
                  return 'Paused';
                })}>
                Pause
              </button>
            ) : (
              <button type="button" class="secondary" disabled={action.busy} onClick={() => void action.run(async () => {
                  await call(resumeSubscription({ client: http, path: { name } }));
                  sub.reload();
                  return 'Resumed';
                })}>
                Resume
              </button>
            )}
          </div>
          <ActionResult error={action.error} note={action.note} />
          <h2>Edit settings</h2>
          <SubscriptionSettingsForm subscription={s} onSaved={sub.reload} />
          <h2>Offsets</h2>
          <table aria-label="Committed offsets">
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col" class="num">Partition</th>
                <th scope="col" class="num">Committed offset</th>
                <th scope="col" class="num">High watermark</th>
                <th scope="col" class="num">Lag</th>
              </tr>
            </thead>
            <tbody>
              {s.offsets.map((o) => (
                <tr key={`${o.topic}-${o.partition}`} data-offsets={`${o.topic}-${o.partition}`}>
                  <td>{o.topic}</td>
                  <td class="num">{o.partition}</td>
                  <td class="num">{o.committedOffset}</td>
                  <td class="num">{o.highWatermark ?? '–'}</td>
                  <td class="num">{o.lag ?? '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Last errors</h2>
          {s.stats.lastErrors.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <table aria-label="Last errors">
              <thead>
                <tr>
                  <th scope="col">At</th>
                  <th scope="col">Partition</th>
                  <th scope="col">Offsets</th>
                  <th scope="col" class="num">Attempt</th>
                  <th scope="col" class="num">Status</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {s.stats.lastErrors.map((a) => (
                  <tr key={`${a.webhookId}-${a.attempt}`}>
                    <td>{formatTime(a.at)}</td>
                    <td>{`${a.topic}-${a.partition}`}</td>
                    <td>{`${a.firstOffset}..${a.lastOffset}`}</td>
                    <td class="num">{a.attempt}</td>
                    <td class="num">{a.status ?? '–'}</td>
                    <td>{a.error ?? a.outcome}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Delete</h2>
          <form
            class="inline"
            aria-label="Delete the subscription"
            onSubmit={(e) => {
              e.preventDefault();
              void action.run(async () => {
                await call(deleteSubscription({ client: http, path: { name } }));
                location.hash = href('subscriptions');
              });
            }}
          >
            <label>
              Type the subscription's name to confirm
              <input value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
            </label>
            <button type="submit" class="danger" disabled={confirm !== name || action.busy}>
              Delete subscription
            </button>
          </form>
        </>
      )}
    </section>
  );
}
