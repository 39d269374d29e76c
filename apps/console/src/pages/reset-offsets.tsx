/**
 * Reset a group's committed offsets as kafka-consumer-groups.sh --reset-offsets does, on the API's
 * POST /v1/groups/{group}/offsets/reset: Preview sends it with dryRun (the broker's plan: previous
 * and new offset and the lag after for every partition, nothing committed), Execute sends the same
 * target without it. The broker resolves the target again at that moment (records appended in
 * between count, as with Kafka's tool) and refuses both while the group has members
 * (NON_EMPTY_GROUP, shown as it is).
 */
import { useState } from 'preact/hooks';
import { resetGroupOffsets, type GroupDescription, type GroupOffsetReset, type ResetGroupOffsets } from '../../../../sdk/src/index.js';
import { ApiError, call, http } from '../api.js';
import { ActionResult, useAction } from '../widgets.js';

type Target = 'earliest' | 'latest' | 'timestamp' | 'offset' | 'shift';

export function ResetOffsets({ group, onReset }: { group: GroupDescription; onReset: () => void }) {
  const topics = [...new Set(group.offsets.map((o) => o.topic))].sort();
  const [target, setTarget] = useState<Target>('earliest');
  const [amount, setAmount] = useState('');
  const [topic, setTopic] = useState('');
  const [preview, setPreview] = useState<GroupOffsetReset[] | null>(null);
  const action = useAction();
  const empty = group.members.length === 0;
  const needsAmount = target === 'timestamp' || target === 'offset' || target === 'shift';
  const changed = (): void => setPreview(null);

  /** The request body for the chosen target; the API checks the rest (ranges, shifts without a committed offset). */
  const request = (dryRun: boolean): ResetGroupOffsets => {
    let to: ResetGroupOffsets['to'];
    if (target === 'earliest' || target === 'latest') to = target;
    else {
      const n = target === 'timestamp' ? Date.parse(`${amount}Z`) : Number(amount);
      if (amount === '' || !Number.isSafeInteger(n)) {
        throw new ApiError('INVALID_REQUEST', target === 'timestamp' ? 'choose a date and time' : `${JSON.stringify(amount)} is not an integer`, 0);
      }
      to = target === 'timestamp' ? { timestamp: n } : target === 'offset' ? { offset: n } : { shiftBy: n };
    }
    return { to, dryRun, ...(topic !== '' && { topics: [topic] }) };
  };

  const dryRun = (): void =>
    void action.run(async () => {
      setPreview(null);
      const plan = await call(resetGroupOffsets({ client: http, path: { group: group.groupId }, body: request(true) }));
      setPreview(plan.offsets);
      return `Dry run: ${plan.offsets.length} partition(s) would move; nothing was changed`;
    });

  const execute = (): void =>
    void action.run(async () => {
      await call(resetGroupOffsets({ client: http, path: { group: group.groupId }, body: request(false) }));
      setPreview(null);
      onReset();
      return 'Offsets reset';
    });

  return (
    <>
      <h2>Reset offsets</h2>
      {!empty && <p class="muted">Offsets can be reset (and previewed) only while the group is empty: stop its consumers first, as kafka-consumer-groups requires.</p>}
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
                <td class="num">{p.previousOffset ?? '–'}</td>
                <td class="num">{p.committedOffset}</td>
                <td class="num">{p.lag}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
