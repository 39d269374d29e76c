/**
 * Push subscriptions (webhooks, docs/webhooks.md): the list with state, lag and deliveries, and a
 * create form that shows the signing secret once (the API returns it only then). Without Redis on
 * the broker every route answers 503 WEBHOOKS_NOT_CONFIGURED, shown as it is.
 */
import { useState } from 'preact/hooks';
import { createSubscription, listSubscriptions, type CreateSubscription } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { formatCount } from '../format.js';
import { href, usePoll } from '../hooks.js';
import { ActionResult, ErrorNote, useAction, usePage } from '../widgets.js';

export function SubscriptionsPage() {
  const subs = usePoll(async () => (await call(listSubscriptions({ client: http }))).subscriptions, 3000, []);
  const rows = [...(subs.data ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1));
  const { visible, pager } = usePage(rows);
  return (
    <section aria-labelledby="subscriptions-title">
      <h1 id="subscriptions-title">Push subscriptions</h1>
      <CreateSubscriptionForm onCreated={subs.reload} />
      <ErrorNote error={subs.error} />
      {pager}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">State</th>
            <th scope="col">Topics</th>
            <th scope="col" class="num">Lag</th>
            <th scope="col" class="num">Delivered records</th>
            <th scope="col" class="num">Failed attempts</th>
            <th scope="col">Endpoint</th>
          </tr>
        </thead>
        <tbody>
          {visible.map((s) => (
            <tr key={s.name} data-subscription={s.name}>
              <td>
                <a href={href('subscriptions', s.name)}>{s.name}</a>
              </td>
              <td>{s.state}</td>
              <td>{s.topics !== null ? s.topics.join(', ') : `/${s.topicPattern ?? ''}/`}</td>
              <td class="num">{formatCount(s.offsets.reduce((n, o) => n + (o.lag ?? 0), 0))}</td>
              <td class="num">{formatCount(s.stats.deliveredRecords)}</td>
              <td class="num">{formatCount(s.stats.failedAttempts)}</td>
              <td>{s.url}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {subs.data?.length === 0 && <p class="muted">No push subscriptions yet.</p>}
      {pager}
    </section>
  );
}

function CreateSubscriptionForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [topics, setTopics] = useState('');
  const [start, setStart] = useState<'latest' | 'earliest'>('latest');
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    setSecret(undefined);
    void action.run(async () => {
      const list = topics.split(',').map((t) => t.trim()).filter((t) => t !== '');
      // A single entry written /regex/ is a topic pattern; anything else a list of topics.
      const pattern = /^\/(.+)\/$/.exec(topics.trim());
      const body: CreateSubscription = { name, url, start, ...(pattern ? { topicPattern: pattern[1] } : { topics: list }) };
      const created = await call(createSubscription({ client: http, body }));
      setSecret(created.secret);
      onCreated();
      setName('');
      return `Created subscription ${created.name}`;
    });
  };
  return (
    <form class="inline" onSubmit={submit} aria-label="Create a subscription">
      <label>
        Subscription name
        <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Endpoint URL
        <input name="url" type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
      </label>
      <label>
        Topics (comma-separated, or /regex/)
        <input name="topics" required value={topics} onInput={(e) => setTopics(e.currentTarget.value)} />
      </label>
      <label>
        Start
        <select name="start" value={start} onChange={(e) => setStart(e.currentTarget.value as 'latest' | 'earliest')}>
          <option value="latest">latest</option>
          <option value="earliest">earliest</option>
        </select>
      </label>
      <button type="submit" disabled={action.busy}>
        Create subscription
      </button>
      <ActionResult error={action.error} note={action.note} />
      {secret !== undefined && (
        <p class="ok" data-testid="subscription-secret">
          Signing secret (shown once, keep it): <code>{secret}</code>
        </p>
      )}
    </form>
  );
}
