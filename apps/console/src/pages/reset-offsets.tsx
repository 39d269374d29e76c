/**
 * Reset a group's committed offsets as kafka-consumer-groups.sh --reset-offsets does: a dry-run
 * preview first (the new offset of every partition, computed from the partitions' offsets over
 * the public API with the broker's rules: clamped to [logStartOffset, logEndOffset], a timestamp
 * with no record after it goes to the end), then Execute, only while the group has no members.
 * earliest/latest/timestamp/offset execute through POST /v1/groups/{group}/offsets/reset (the
 * broker resolves them again at that moment, as Kafka's tool does); shift commits the previewed
 * offsets per partition through POST /v1/groups/{group}/offsets.
 */
import { useState } from 'preact/hooks';
import { commitGroupOffsets, listOffsets, resetGroupOffsets, type GroupDescription } from '../../../../sdk/src/index.js';
import { ApiError, call, http } from '../api.js';
import { ActionResult, useAction } from '../widgets.js';

type Target = 'earliest' | 'latest' | 'timestamp' | 'offset' | 'shift';

interface PreviewRow {
  topic: string;
  partition: number;
  current: number;
  next: number;
  lagAfter: number;
}

export function ResetOffsets({ group, onReset }: { group: GroupDescription; onReset: () => void }) {
  const topics = [...new Set(group.offsets.map((o) => o.topic))].sort();
  const [target, setTarget] = useState<Target>('earliest');
  const [amount, setAmount] = useState('');
  const [topic, setTopic] = useState('');
  const [preview, setPreview] = useState<PreviewRow[] | null>(null);
  const action = useAction();
  const empty = group.members.length === 0;
  const needsAmount = target === 'timestamp' || target === 'offset' || target === 'shift';
  const changed = (): void => setPreview(null);

  const number = (): number => {
    const n = target === 'timestamp' ? Date.parse(`${amount}Z`) : Number(amount);
    if (!Number.isSafeInteger(n) || (target !== 'shift' && n < 0)) {
      throw new ApiError('INVALID_REQUEST', target === 'timestamp' ? 'choose a date and time' : `${JSON.stringify(amount)} is not ${target === 'shift' ? 'an integer' : 'an offset'}`, 0);
    }
    return n;
  };

  const dryRun = (): void =>
    void action.run(async () => {
      const n = needsAmount ? number() : 0;
      const rows = group.offsets.filter((o) => topic === '' || o.topic === topic);
      const out: PreviewRow[] = [];
      for (const o of rows) {
        const offsets = await call(
          listOffsets({ client: http, path: { topic: o.topic, partition: o.partition }, query: target === 'timestamp' ? { timestamp: n } : {} }),
        );
        const clamp = (x: number): number => Math.min(Math.max(x, offsets.earliest), offsets.latest);
        const next =
          target === 'earliest' ? offsets.earliest
          : target === 'latest' ? offsets.latest
          : target === 'timestamp' ? (offsets.byTimestamp?.offset ?? offsets.latest)
          : target === 'offset' ? clamp(n)
          : clamp(Math.max(o.committedOffset, 0) + n);
        out.push({ topic: o.topic, partition: o.partition, current: o.committedOffset, next, lagAfter: offsets.highWatermark - next });
      }
      setPreview(out);
      return `Dry run: ${out.length} partition(s) would move; nothing was changed`;
    });

  const execute = (): void =>
    void action.run(async () => {
      if (preview === null) return;
      const selected = topic === '' ? undefined : [topic];
      if (target === 'shift') {
        await call(commitGroupOffsets({ client: http, path: { group: group.groupId }, body: { offsets: preview.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.next })) } }));
      } else {
        const to = target === 'earliest' || target === 'latest' ? target : target === 'timestamp' ? { timestamp: number() } : { offset: number() };
        await call(resetGroupOffsets({ client: http, path: { group: group.groupId }, body: { to, ...(selected && { topics: selected }) } }));
      }
      setPreview(null);
      onReset();
      return 'Offsets reset';
    });

  return (
    <>
      <h2>Reset offsets</h2>
      {!empty && <p class="muted">Offsets can be reset only while the group is empty: stop its consumers first (as kafka-consumer-groups requires).</p>}
      <form
        class="inline"
        aria-label="Reset offsets"
        onSubmit={(e) => {
          e.preventDefault();
          dryRun();
        }}
      >
        <label>
          Reset to
          <select name="target" value={target} onChange={(e) => { setTarget(e.currentTarget.value as Target); changed(); }}>
            <option value="earliest">earliest</option>
            <option value="latest">latest</option>
            <option value="timestamp">timestamp</option>
            <option value="offset">offset</option>
            <option value="shift">shift by</option>
          </select>
        </label>
        {needsAmount && (
          <label>
            {target === 'timestamp' ? 'Time (UTC)' : target === 'shift' ? 'Shift by (records, may be negative)' : 'Offset'}
            <input
              name="amount"
              type={target === 'timestamp' ? 'datetime-local' : 'number'}
              step={1}
              required
              value={amount}
              onInput={(e) => { setAmount(e.currentTarget.value); changed(); }}
            />
          </label>
        )}
        <label>
          Topics
          <select name="topic" value={topic} onChange={(e) => { setTopic(e.currentTarget.value); changed(); }}>
            <option value="">all of the group's topics</option>
            {topics.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="secondary" disabled={action.busy}>
          Preview (dry run)
        </button>
        <button type="button" class="danger" disabled={action.busy || preview === null || !empty} onClick={execute}>
          Execute reset
        </button>
      </form>
      <ActionResult error={action.error} note={action.note} />
      {preview !== null && (
        <table aria-label="Reset preview">
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col" class="num">Partition</th>
              <th scope="col" class="num">Current offset</th>
              <th scope="col" class="num">New offset</th>
              <th scope="col" class="num">Lag after</th>
            </tr>
          </thead>
          <tbody>
            {preview.map((p) => (
              <tr key={`${p.topic}-${p.partition}`} data-preview={`${p.topic}-${p.partition}`}>
                <td>{p.topic}</td>
                <td class="num">{p.partition}</td>
                <td class="num">{p.current}</td>
                <td class="num">{p.next}</td>
                <td class="num">{p.lagAfter}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
