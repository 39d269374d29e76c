/**
 * SCRAM users (docs/security.md, "SASL on the Kafka face") over the security admin routes: each
 * user's credentials by mechanism and iteration count (never a key: the broker keeps Kafka's
 * salted form), a form that creates or replaces one from a password, and a delete per credential.
 * Kafka clients log in with these over SASL/SCRAM (or SASL/PLAIN). Needs an admin credential:
 * others get the API's 403, shown as it is.
 */
import { useState } from 'preact/hooks';
import { deleteScramCredential, listScramCredentials, upsertScramCredential, type ScramCredentialInfo } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { usePoll } from '../hooks.js';
import { ActionResult, ErrorNote, useAction, usePage } from '../widgets.js';

type Mechanism = ScramCredentialInfo['mechanism'];
const MECHANISMS: Mechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

export function ScramUsersPage() {
  const credentials = usePoll(async () => (await call(listScramCredentials({ client: http }))).credentials, 5000, []);
  const [filter, setFilter] = useState('');
  const remove = useAction();
  const rows = (credentials.data ?? []).filter((c) => c.user.includes(filter)).sort((a, b) => (a.user === b.user ? (a.mechanism < b.mechanism ? -1 : 1) : a.user < b.user ? -1 : 1));
  const { visible, pager } = usePage(rows);
  return (
    <section aria-labelledby="scram-title">
      <h1 id="scram-title">SCRAM users</h1>
      <UpsertScramForm onSaved={credentials.reload} />
      <ErrorNote error={credentials.error} />
      <ActionResult error={remove.error} note={remove.note} />
      <div class="toolbar">
        <label>
          Filter by user
          <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      {pager}
      <table>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Principal</th>
            <th scope="col">Mechanism</th>
            <th scope="col" class="num">Iterations</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {visible.map((c) => (
            <tr key={`${c.user}|${c.mechanism}`} data-scram={`${c.user}|${c.mechanism}`}>
              <td>{c.user}</td>
              <td>User:{c.user}</td>
              <td>{c.mechanism}</td>
              <td class="num">{c.iterations}</td>
              <td>
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Delete the ${c.mechanism} credential of ${c.user}`}
                  disabled={remove.busy}
                  onClick={() =>
                    void remove.run(async () => {
                      await call(deleteScramCredential({ client: http, path: { user: c.user }, query: { mechanism: c.mechanism } }));
                      credentials.reload();
                      return `Deleted the ${c.mechanism} credential of ${c.user}`;
                    })
                  }
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {credentials.data?.length === 0 && <p class="muted">No SCRAM users.</p>}
      {pager}
    </section>
  );
}

function UpsertScramForm({ onSaved }: { onSaved: () => void }) {
  const [user, setUser] = useState('');
  const [mechanism, setMechanism] = useState<Mechanism>('SCRAM-SHA-512');
  const [password, setPassword] = useState('');
  const [iterations, setIterations] = useState('');
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      const saved = await call(upsertScramCredential({ client: http, body: { user, mechanism, password, ...(iterations !== '' && { iterations: Number(iterations) }) } }));
      onSaved();
      setPassword('');
      return `Saved the ${saved.mechanism} credential of ${saved.user} (${saved.iterations} iterations)`;
    });
  };
  return (
    <form class="inline" onSubmit={submit} aria-label="Create or replace a SCRAM credential">
      <label>
        User
        <input name="user" required autoComplete="off" value={user} onInput={(e) => setUser(e.currentTarget.value)} />
      </label>
      <label>
        Mechanism
        <select name="mechanism" value={mechanism} onChange={(e) => setMechanism(e.currentTarget.value as Mechanism)}>
          {MECHANISMS.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label>
        Password
        <input name="password" type="password" required autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </label>
      <label>
        Iterations (optional, 4096–16384)
        <input name="iterations" type="number" min={4096} max={16384} value={iterations} onInput={(e) => setIterations(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        Save credential
      </button>
      <ActionResult error={action.error} note={action.note} />
    </form>
  );
}
