/**
 * ACLs (Kafka's model, docs/security.md) over the security admin routes: every binding, filtered
 * in the browser, a form that creates one, and a delete per binding (the DELETE filter names all
 * of its fields, so it matches that binding only). Needs an admin credential: others get the
 * API's 403, shown as it is.
 */
import { useState } from 'preact/hooks';
import { createAcls, deleteAcls, describeAcls, type AclBinding } from '../../../../sdk/src/index.js';
import { ApiError, call, http } from '../api.js';
import { usePoll } from '../hooks.js';
import { ActionResult, ErrorNote, useAction, usePage } from '../widgets.js';

const RESOURCE_TYPES: AclBinding['resourceType'][] = ['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'];
const OPERATIONS: AclBinding['operation'][] = ['ALL', 'READ', 'WRITE', 'CREATE', 'DELETE', 'ALTER', 'DESCRIBE', 'CLUSTER_ACTION', 'DESCRIBE_CONFIGS', 'ALTER_CONFIGS', 'IDEMPOTENT_WRITE'];

const keyOf = (a: AclBinding): string => [a.principal, a.permissionType, a.operation, a.resourceType, a.resourceName, a.patternType, a.host ?? '*'].join('|');

export function AclsPage() {
  const acls = usePoll(async () => (await call(describeAcls({ client: http }))).acls, 5000, []);
  const [filter, setFilter] = useState('');
  const remove = useAction();
  const rows = (acls.data ?? []).filter((a) => a.principal.includes(filter) || a.resourceName.includes(filter)).sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
  const { visible, pager } = usePage(rows);
  return (
    <section aria-labelledby="acls-title">
      <h1 id="acls-title">ACLs</h1>
      <CreateAclForm onCreated={acls.reload} />
      <ErrorNote error={acls.error} />
      <ActionResult error={remove.error} note={remove.note} />
      <div class="toolbar">
        <label>
          Filter by principal or resource
          <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      {pager}
      <table>
        <thead>
          <tr>
            <th scope="col">Principal</th>
            <th scope="col">Permission</th>
            <th scope="col">Operation</th>
            <th scope="col">Resource type</th>
            <th scope="col">Resource name</th>
            <th scope="col">Pattern</th>
            <th scope="col">Host</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {visible.map((a) => (
            <tr key={keyOf(a)} data-acl={keyOf(a)}>
              <td>{a.principal}</td>
              <td>{a.permissionType}</td>
              <td>{a.operation}</td>
              <td>{a.resourceType}</td>
              <td>{a.resourceName}</td>
              <td>{a.patternType}</td>
              <td>{a.host ?? '*'}</td>
              <td>
                <button
                  type="button"
                  class="secondary"
                  aria-label={`Delete ${a.permissionType} ${a.operation} on ${a.resourceType} ${a.resourceName} for ${a.principal}`}
                  disabled={remove.busy}
                  onClick={() =>
                    void remove.run(async () => {
                      const query = { resourceType: a.resourceType, resourceName: a.resourceName, patternType: a.patternType, principal: a.principal, host: a.host ?? '*', operation: a.operation, permissionType: a.permissionType };
                      const { acls: deleted } = await call(deleteAcls({ client: http, query }));
                      acls.reload();
                      return `Deleted ${deleted.length} ACL${deleted.length === 1 ? '' : 's'}`;
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
      {acls.data?.length === 0 && <p class="muted">No ACLs.</p>}
      {pager}
    </section>
  );
}

function CreateAclForm({ onCreated }: { onCreated: () => void }) {
  const [principal, setPrincipal] = useState('');
  const [resourceType, setResourceType] = useState<AclBinding['resourceType']>('TOPIC');
  const [resourceName, setResourceName] = useState('');
  const [patternType, setPatternType] = useState<AclBinding['patternType']>('LITERAL');
  const [operation, setOperation] = useState<AclBinding['operation']>('READ');
  const [permissionType, setPermissionType] = useState<AclBinding['permissionType']>('ALLOW');
  const action = useAction();
  const submit = (e: Event): void => {
    e.preventDefault();
    void action.run(async () => {
      const binding: AclBinding = {
        principal: principal.includes(':') ? principal : `User:${principal}`,
        resourceType,
        resourceName: resourceType === 'CLUSTER' ? 'kafka-cluster' : resourceName,
        patternType,
        operation,
        permissionType,
        host: '*',
      };
      const [result] = (await call(createAcls({ client: http, body: { acls: [binding] } }))).results;
      if (result !== undefined && result.errorCode !== null) throw new ApiError(result.errorCode, result.errorMessage ?? '', 400);
      onCreated();
      return `Created: ${binding.permissionType} ${binding.principal} ${binding.operation} on ${binding.resourceType} ${binding.resourceName}`;
    });
  };
  return (
    <form class="inline" onSubmit={submit} aria-label="Create an ACL">
      <label>
        Principal
        <input name="principal" required placeholder="User:alice" value={principal} onInput={(e) => setPrincipal(e.currentTarget.value)} />
      </label>
      <label>
        Permission
        <select value={permissionType} onChange={(e) => setPermissionType(e.currentTarget.value as AclBinding['permissionType'])}>
          <option value="ALLOW">ALLOW</option>
          <option value="DENY">DENY</option>
        </select>
      </label>
      <label>
        Operation
        <select value={operation} onChange={(e) => setOperation(e.currentTarget.value as AclBinding['operation'])}>
          {OPERATIONS.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <label>
        Resource type
        <select value={resourceType} onChange={(e) => setResourceType(e.currentTarget.value as AclBinding['resourceType'])}>
          {RESOURCE_TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        Resource name
        <input name="resourceName" required={resourceType !== 'CLUSTER'} disabled={resourceType === 'CLUSTER'} value={resourceType === 'CLUSTER' ? 'kafka-cluster' : resourceName} onInput={(e) => setResourceName(e.currentTarget.value)} />
      </label>
      <label>
        Pattern
        <select value={patternType} onChange={(e) => setPatternType(e.currentTarget.value as AclBinding['patternType'])}>
          <option value="LITERAL">LITERAL</option>
          <option value="PREFIXED">PREFIXED</option>
        </select>
      </label>
      <button type="submit" disabled={action.busy}>
        Create ACL
      </button>
      <ActionResult error={action.error} note={action.note} />
    </form>
  );
}
