/**
 * Edits a tenant's limits with PATCH /v1/admin/tenants/{tenant}: the form starts from the tenant's
 * current limits and sends only the ones that changed; an empty field is "unlimited" (null removes
 * the limit). The API validates the values: one it refuses comes back as its error, shown as it is.
 * The broker applies a change from its next topic creation or produce.
 */
import { useState } from 'preact/hooks';
import { updateTenant, type Tenant, type UpdateTenant } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { ActionResult, useAction } from '../widgets.js';

type LimitKey = 'maxTopics' | 'maxPartitions' | 'maxRetainedBytes';
const LIMITS: ReadonlyArray<readonly [LimitKey, string]> = [
  ['maxTopics', 'Max topics'],
  ['maxPartitions', 'Max partitions'],
  ['maxRetainedBytes', 'Max retained bytes'],
];

const text = (v: number | null): string => (v === null ? '' : String(v));

/** Starts from the tenant's limits when it was chosen, and from the saved ones after each save (the table stays live). */
export function TenantLimitsForm({ tenant: t, onSaved }: { tenant: Tenant; onSaved: () => void }) {
  const [saved, setSaved] = useState<Tenant>(t);
  const [values, setValues] = useState<Record<LimitKey, string>>({ maxTopics: text(t.maxTopics), maxPartitions: text(t.maxPartitions), maxRetainedBytes: text(t.maxRetainedBytes) });
  const action = useAction();

  const changes = (): UpdateTenant => {
    const body: UpdateTenant = {};
    for (const [key] of LIMITS) {
      const value = values[key].trim() === '' ? null : Number(values[key]);
      if (value !== saved[key]) body[key] = value;
    }
    return body;
  };

  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      const body = changes();
      if (Object.keys(body).length === 0) return 'Nothing changed';
      const updated = await call(updateTenant({ client: http, path: { tenant: t.name }, body }));
      setSaved(updated);
      setValues({ maxTopics: text(updated.maxTopics), maxPartitions: text(updated.maxPartitions), maxRetainedBytes: text(updated.maxRetainedBytes) });
      onSaved();
      return `Saved ${t.name}: ${Object.keys(body).join(', ')}`;
    });
  };

  return (
    <form class="inline" onSubmit={submit} aria-label={`Edit the limits of ${t.name}`}>
      {LIMITS.map(([key, label]) => (
        <label key={key}>
          {label} (empty: unlimited)
          <input name={key} type="number" min={0} step={1} value={values[key]} onInput={(e) => setValues({ ...values, [key]: e.currentTarget.value })} />
        </label>
      ))}
      <button type="submit" disabled={action.busy}>
        Save limits
      </button>
      <ActionResult error={action.error} note={action.note} />
    </form>
  );
}
