/**
 * API keys (docs/security.md, "Credentials") over the security admin routes: every key with its
 * principal, tenant, dates and state (never a secret: the broker keeps only a hash), a create form
 * that shows the new key once, as the API returns it only then, and a revoke per key behind a
 * second click (a revoked key cannot be restored). Needs an admin credential: others get the API's
 * 403, shown as it is.
 */
import { useState } from 'preact/hooks';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { formatTime } from '../format.js';
import { usePoll } from '../hooks.js';
import { ActionResult, ErrorNote, useAction, usePage } from '../widgets.js';

function stateOf(k: ApiKeyInfo, nowMs: number): 'revoked' | 'expired' | 'valid' {
  if (k.revokedAtMs !== null) return 'revoked';
  if (k.expiresAtMs !== null && k.expiresAtMs <= nowMs) return 'expired';
  return 'valid';
}

export function ApiKeysPage() {
  const keys = usePoll(async () => (await call(listApiKeys({ client: http }))).apiKeys, 5000, []);
  const [filter, setFilter] = useState('');
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  const revoke = useAction();
  const now = Date.now();
  const rows = (keys.data ?? [])
    .filter((k) => k.principal.includes(filter) || k.keyId.includes(filter) || (k.tenant ?? '').includes(filter) || k.description.includes(filter))
    .sort((a, b) => (a.principal === b.principal ? a.createdAtMs - b.createdAtMs : a.principal < b.principal ? -1 : 1));
  const { visible, pager } = usePage(rows);
  return (
    <section aria-labelledby="api-keys-title">
      <h1 id="api-keys-title">API keys</h1>
      <CreateApiKeyForm onCreated={keys.reload} />
      <ErrorNote error={keys.error} />
      <ActionResult error={revoke.error} note={revoke.note} />
      <div class="toolbar">
        <label>
          Filter by principal, key id, tenant or description
          <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      {pager}
      <table>
        <thead>
          <tr>
            <th scope="col">Key id</th>
            <th scope="col">Principal</th>
            <th scope="col">Tenant</th>
            <th scope="col">Created (UTC)</th>
            <th scope="col">Expires (UTC)</th>
            <th scope="col">State</th>
            <th scope="col">Description</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {visible.map((k) => {
            const state = stateOf(k, now);
            return (
              <tr key={k.keyId} data-api-key={k.keyId}>
                <td>
                  <code>{k.keyId}</code>
                </td>
                <td>{k.principal}</td>
                <td>{k.tenant ?? '–'}</td>
                <td>{formatTime(k.createdAtMs)}</td>
                <td>{k.expiresAtMs === null ? 'never' : formatTime(k.expiresAtMs)}</td>
                <td data-testid="api-key-state">{state === 'revoked' ? `revoked ${formatTime(k.revokedAtMs!)}` : state}</td>
                <td>{k.description}</td>
                <td>
                  {state === 'revoked' ? null : confirming === k.keyId ? (
                    <span class="inline">
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Confirm: revoke key ${k.keyId} of ${k.principal}`}
                        disabled={revoke.busy}
                        onClick={() =>
                          void revoke.run(async () => {
                            await call(revokeApiKey({ client: http, path: { keyId: k.keyId } }));
                            setConfirming(undefined);
                            keys.reload();
                            return `Revoked key ${k.keyId} of ${k.principal}`;
                          })
                        }
                      >
                        Revoke now
                      </button>
                      <button type="button" class="secondary" onClick={() => setConfirming(undefined)}>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <button type="button" class="secondary" aria-label={`Revoke key ${k.keyId} of ${k.principal}`} disabled={revoke.busy} onClick={() => setConfirming(k.keyId)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {keys.data?.length === 0 && <p class="muted">No API keys.</p>}
      {pager}
    </section>
  );
}

function CreateApiKeyForm({ onCreated }: { onCreated: () => void }) {
  const [principal, setPrincipal] = useState('');
  const [description, setDescription] = useState('');
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<{ apiKey: string; principal: string } | undefined>(undefined);
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    setCreated(undefined);
    void action.run(async () => {
      // datetime-local has no zone: read it as UTC, as the table shows times.
      const expiresAtMs = expires === '' ? undefined : Date.parse(`${expires}Z`);
      const key = await call(createApiKey({ client: http, body: { principal, ...(description !== '' && { description }), ...(expiresAtMs !== undefined && { expiresAtMs }) } }));
      setCreated({ apiKey: key.apiKey, principal: key.principal });
      onCreated();
      setPrincipal('');
      setDescription('');
      setExpires('');
      return `Created key ${key.keyId} for ${key.principal}`;
    });
  };
  return (
    <form class="inline" onSubmit={submit} aria-label="Create an API key">
      <label>
        Principal
        <input name="principal" required placeholder="User:ingest or acme.ingest" value={principal} onInput={(e) => setPrincipal(e.currentTarget.value)} />
      </label>
      <label>
        Description (optional)
        <input name="description" maxLength={256} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <label>
        Expires, UTC (optional)
        <input name="expires" type="datetime-local" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        Create API key
      </button>
      <ActionResult error={action.error} note={action.note} />
      {created !== undefined && (
        <p class="ok" data-testid="api-key-secret">
          Key for {created.principal} (shown once, keep it): <code>{created.apiKey}</code>
        </p>
      )}
    </form>
  );
}
