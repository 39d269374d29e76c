/** One consumer group: state, members and assignments, committed offsets and lag (live, with a chart), reset. */
import { describeGroup, type GroupDescription } from '../../../../sdk/src/index.js';
import { call, http } from '../api.js';
import { Chart } from '../chart.js';
import { formatCount, formatTime } from '../format.js';
import { href, usePoll, useSeries } from '../hooks.js';
import { Card, ErrorNote, usePage } from '../widgets.js';
import { ResetOffsets } from './reset-offsets.js';

export function GroupPage({ groupId }: { groupId: string }) {
  const lag = useSeries(['total lag']);
  const group = usePoll(
    async () => {
      const g = await call(describeGroup({ client: http, path: { group: groupId } }));
      lag.push([totalLag(g)]);
      return g;
    },
    2000,
    [groupId],
  );
  const g = group.data;
  const { visible, pager } = usePage(g?.offsets ?? [], 100);
  return (
    <section aria-labelledby="group-title">
      <p>
        <a href={href('groups')}>Consumer groups</a> /
      </p>
      <h1 id="group-title">{groupId}</h1>
      <ErrorNote error={group.error} />
      {g !== undefined && (
        <>
          <div class="cards">
            <Card label="State" value={g.state} testId="group-state" />
            <Card label="Type" value={g.groupType} />
            <Card label="Protocol" value={`${g.protocolType ?? '–'} / ${g.assignor ?? '–'}`} />
            <Card label="Generation" value={g.generationId} />
            <Card label="Members" value={g.members.length} testId="group-members" />
            <Card label="Total lag" value={formatCount(totalLag(g))} testId="group-lag" />
          </div>
          <h2>Members</h2>
          <table aria-label="Members">
            <thead>
              <tr>
                <th scope="col">Member id</th>
                <th scope="col">Client id</th>
                <th scope="col">Client address</th>
                <th scope="col">Assigned partitions</th>
              </tr>
            </thead>
            <tbody>
              {g.members.map((m) => (
                <tr key={m.memberId} data-member={m.memberId}>
                  <td>{m.memberId}</td>
                  <td>{m.clientId}</td>
                  <td>{m.clientHost}</td>
                  <td>{(m.assignment ?? []).map((a) => `${a.topic}-${a.partition}`).join(', ') || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {g.members.length === 0 && <p class="muted">No members: the group is empty.</p>}
          <h2>Offsets and lag</h2>
          {pager}
          <table aria-label="Offsets">
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col" class="num">Partition</th>
                <th scope="col" class="num">Committed offset</th>
                <th scope="col" class="num">High watermark</th>
                <th scope="col" class="num">Lag</th>
                <th scope="col">Committed at (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {visible.map((o) => (
                <tr key={`${o.topic}-${o.partition}`} data-offset-row={`${o.topic}-${o.partition}`}>
                  <td>{o.topic}</td>
                  <td class="num">{o.partition}</td>
                  <td class="num">{o.committedOffset}</td>
                  <td class="num">{o.highWatermark ?? '–'}</td>
                  <td class="num">{o.lag ?? '–'}</td>
                  <td>{formatTime(o.commitTimestamp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="charts">
            <Chart title="Lag over time" series={['total lag']} data={lag.data} />
          </div>
          <ResetOffsets group={g} onReset={group.reload} />
        </>
      )}
    </section>
  );
}

function totalLag(g: GroupDescription): number {
  return g.offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0);
}
