/**
 * Tenants (docs/security.md): each with every limit (topics, partitions, retained bytes) and its
 * usage on this broker since it started (GET /v1/tenants/{tenant}/usage: bytes and records in
 * and out, requests, connections, stored bytes), a create form, a form to edit a tenant's limits
 * (TenantLimitsForm) and a delete with confirmation. Needs an admin credential: others get the
 * API's 403, shown as it is.
 */
import { useState } from 'preact/hooks';
import { createTenant, deleteTenant, getTenantUsage, listTenants, type Tenant, type TenantUsage } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { formatBytes, formatCount } from '../format.js';
import { usePoll } from '../hooks.js';
import { ActionResult, ErrorNote, useAction, usePage } from '../widgets.js';
import { TenantLimitsForm } from './tenant-limits-form.js';

type Row = Tenant & { usage: TenantUsage | undefined };

export function TenantsPage() {
  const tenants = usePoll(
    async (): Promise<Row[]> => {
      const { tenants: list } = await call(listTenants({ client: http }));
      // Usage per tenant, a few at a time; a tenant deleted meanwhile just has none.
      const out: Row[] = [];
      for (let i = 0; i < list.length; i += 8) {
        const batch = list.slice(i, i + 8);
        const usages = await Promise.all(batch.map((t) => call(getTenantUsage({ client: http, path: { tenant: t.name } })).catch(() => undefined)));
        batch.forEach((t, j) => out.push({ ...t, usage: usages[j] }));
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : 1));
    },
    5000,
    [],
  );
  const { visible, pager } = usePage(tenants.data ?? []);
  const remove = useAction();
  const [confirm, setConfirm] = useState('');
  const [editing, setEditing] = useState('');
  const edited = (tenants.data ?? []).find((t) => t.name === editing);
  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      <CreateTenantForm onCreated={tenants.reload} />
      <ErrorNote error={tenants.error} />
      {pager}
      <table>
        <thead>
          <tr>
            <th scope="col">Tenant</th>
            <th scope="col" class="num">Topics</th>
            <th scope="col" class="num">Max topics</th>
            <th scope="col" class="num">Partitions</th>
            <th scope="col" class="num">Max partitions</th>
            <th scope="col" class="num">Stored</th>
            <th scope="col" class="num">Max retained</th>
            <th scope="col" class="num">Produced</th>
            <th scope="col" class="num">Produced records</th>
            <th scope="col" class="num">Fetched</th>
            <th scope="col" class="num">Fetched records</th>
            <th scope="col" class="num">Requests</th>
            <th scope="col" class="num">Connections</th>
          </tr>
        </thead>
        <tbody>
          {visible.map((t) => (
            <tr key={t.name} data-tenant={t.name}>
              <td>{t.name}</td>
              <td class="num">{t.usage === undefined ? '–' : formatCount(t.usage.topics)}</td>
              <td class="num">{t.maxTopics ?? 'unlimited'}</td>
              <td class="num">{t.usage === undefined ? '–' : formatCount(t.usage.partitions)}</td>
              <td class="num">{t.maxPartitions ?? 'unlimited'}</td>
              <td class="num">{t.usage === undefined ? '–' : formatBytes(t.usage.storedBytes)}</td>
              <td class="num" data-limit="maxRetainedBytes">{t.maxRetainedBytes === null ? 'unlimited' : formatBytes(t.maxRetainedBytes)}</td>
              <td class="num">{t.usage === undefined ? '–' : formatBytes(t.usage.producedBytes)}</td>
              <td class="num" data-usage="producedRecords">{t.usage === undefined ? '–' : formatCount(t.usage.producedRecords)}</td>
              <td class="num">{t.usage === undefined ? '–' : formatBytes(t.usage.fetchedBytes)}</td>
              <td class="num" data-usage="fetchedRecords">{t.usage === undefined ? '–' : formatCount(t.usage.fetchedRecords)}</td>
              <td class="num">{t.usage === undefined ? '–' : formatCount(t.usage.requests)}</td>
              <td class="num">{t.usage === undefined ? '–' : formatCount(t.usage.connections)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {tenants.data?.length === 0 && <p class="muted">No tenants.</p>}
      {pager}
      <h2>Edit a tenant's limits</h2>
      <label>
        Tenant to edit
        <select value={editing} onChange={(e) => setEditing(e.currentTarget.value)}>
          <option value="">(choose a tenant)</option>
          {(tenants.data ?? []).map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      {/* Keyed by name: choosing another tenant starts the form again from that tenant's limits. */}
      {edited !== undefined && <TenantLimitsForm key={edited.name} tenant={edited} onSaved={tenants.reload} />}
      <h2>Delete a tenant</h2>
      <form
        class="inline"
        aria-label="Delete a tenant"
        onSubmit={(e) => {
          e.preventDefault();
          void remove.run(async () => {
            await call(deleteTenant({ client: http, path: { tenant: confirm } }));
            tenants.reload();
            setConfirm('');
            return `Deleted tenant ${confirm}`;
          });
        }}
      >
        <label>
          Tenant to delete (type its name)
          <input value={confirm} onInput={(e) => setConfirm(e.currentTarget.value)} />
        </label>
        <button type="submit" class="danger" disabled={confirm === '' || !(tenants.data ?? []).some((t) => t.name === confirm) || remove.busy}>
          Delete tenant
        </button>
        <ActionResult error={remove.error} note={remove.note} />
      </form>
    </section>
  );
}

function CreateTenantForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [maxTopics, setMaxTopics] = useState('');
  const [maxPartitions, setMaxPartitions] = useState('');
  const [maxRetainedBytes, setMaxRetainedBytes] = useState('');
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      await call(
        createTenant({
          client: http,
          body: {
            name,
            ...(maxTopics !== '' && { maxTopics: Number(maxTopics) }),
            ...(maxPartitions !== '' && { maxPartitions: Number(maxPartitions) }),
            ...(maxRetainedBytes !== '' && { maxRetainedBytes: Number(maxRetainedBytes) }),
          },
        }),
      );
      onCreated();
      setName('');
      return `Created tenant ${name}`;
    });
  };
  return (
    <form class="inline" onSubmit={submit} aria-label="Create a tenant">
      <label>
        Tenant name
        <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Max topics (optional)
        <input name="maxTopics" type="number" min={0} value={maxTopics} onInput={(e) => setMaxTopics(e.currentTarget.value)} />
      </label>
      <label>
        Max partitions (optional)
        <input name="maxPartitions" type="number" min={0} value={maxPartitions} onInput={(e) => setMaxPartitions(e.currentTarget.value)} />
      </label>
      <label>
        Max retained bytes (optional)
        <input name="maxRetainedBytes" type="number" min={0} value={maxRetainedBytes} onInput={(e) => setMaxRetainedBytes(e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={action.busy}>
        Create tenant
      </button>
      <ActionResult error={action.error} note={action.note} />
    </form>
  );
}
