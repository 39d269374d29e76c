/** Consumer groups: every group the coordinator knows, with its state and type. */
import { listGroups } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { href, usePoll } from '../hooks.js';
import { ErrorNote, usePage } from '../widgets.js';

export function GroupsPage() {
  const groups = usePoll(async () => (await call(listGroups({ client: http }))).groups, 3000, []);
  const rows = [...(groups.data ?? [])].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  const { visible, pager } = usePage(rows);
  return (
    <section aria-labelledby="groups-title">
      <h1 id="groups-title">Consumer groups</h1>
      <ErrorNote error={groups.error} />
      {pager}
      <table>
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col">State</th>
            <th scope="col">Type</th>
            <th scope="col">Protocol type</th>
          </tr>
        </thead>
        <tbody>
          {visible.map((g) => (
            <tr key={g.groupId} data-group={g.groupId}>
              <td>
                <a href={href('groups', g.groupId)}>{g.groupId}</a>
              </td>
              <td>{g.state}</td>
              <td>{g.groupType}</td>
              <td>{g.protocolType ?? '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {groups.data?.length === 0 && <p class="muted">No consumer groups yet.</p>}
      {pager}
    </section>
  );
}
