import fs from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import {
  LEADER_EPOCH_CHECKPOINT_FILE,
  formatLeaderEpochCheckpoint,
  parseLeaderEpochCheckpoint,
  readLeaderEpochCheckpoint,
  writeLeaderEpochCheckpoint,
  type EpochEntry,
} from './leader-epoch-checkpoint-file.js';
import { tempDir } from './log.test-util.js';

describe('leader-epoch-checkpoint file', () => {
  it("writes Kafka's bytes: version 0, the count, then 'epoch startOffset' lines", () => {
    const text = formatLeaderEpochCheckpoint([
      { epoch: 0, startOffset: 0 },
      { epoch: 3, startOffset: 1200 },
    ]);
    expect(Buffer.from(text, 'utf8')).toEqual(Buffer.from('300a320a3020300a3320313230300a', 'hex'));
    expect(formatLeaderEpochCheckpoint([])).toBe('0\n0\n');
  });

  it('round-trips any ordered entries', () => {
    const entries = fc
      .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), { maxLength: 20 })
      .map((pairs) => {
        const epochs = pairs.map((p) => p[0]).sort((a, b) => a - b);
        const offsets = pairs.map((p) => p[1]).sort((a, b) => a - b);
        const out: EpochEntry[] = [];
        epochs.forEach((epoch, i) => {
          if (i === 0 || (epoch > epochs[i - 1] && offsets[i] > offsets[i - 1])) out.push({ epoch, startOffset: offsets[i] });
        });
        return out;
      });
    fc.assert(fc.property(entries, (e) => expect(parseLeaderEpochCheckpoint(formatLeaderEpochCheckpoint(e), 'f')).toEqual(e)));
  });

  it("reads like Kafka's reader: empty file, version only, any whitespace between fields", () => {
    expect(parseLeaderEpochCheckpoint('', 'f')).toEqual([]);
    expect(parseLeaderEpochCheckpoint('0\n', 'f')).toEqual([]);
    expect(parseLeaderEpochCheckpoint('0\n2\n1  5\n4\t9\n', 'f')).toEqual([
      { epoch: 1, startOffset: 5 },
      { epoch: 4, startOffset: 9 },
    ]);
  });

  it.each([
    ['1\n0\n', 'line 1: unsupported version'],
    ['0\nx\n', 'line 2: entry count'],
    ['0\n2\n1 5\n', 'line 2: declares 2 entries, has 1'],
    ['0\n1\n1 5 7\n', 'line 3: expected'],
    ['0\n1\n-1 5\n', 'line 3: expected'],
    ['0\n1\n2147483648 5\n', 'line 3: leader epoch 2147483648 is not an int32'],
    ['0\n1\n1 9007199254740993\n', 'line 3: start offset 9007199254740993 is beyond 2^53'],
    ['0\n2\n3 5\n2 9\n', 'line 4: entry (2, 9) does not follow (3, 5)'],
    ['0\n2\n2 5\n3 5\n', 'line 4: entry (3, 5) does not follow (2, 5)'],
  ])('rejects %j with KAFKA_STORAGE_ERROR naming the line', (text, why) => {
    expect(() => parseLeaderEpochCheckpoint(text, '/d/leader-epoch-checkpoint')).toThrow(
      expect.objectContaining({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringContaining(`/d/leader-epoch-checkpoint ${why}`) }),
    );
  });

  it('refuses to write an entry that is not an epoch and offset', () => {
    expect(() => formatLeaderEpochCheckpoint([{ epoch: -1, startOffset: 0 }])).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => formatLeaderEpochCheckpoint([{ epoch: 1, startOffset: 1.5 }])).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('writes atomically into the partition directory and reads null when absent', async () => {
    const dir = await tempDir('epoch-file');
    try {
      expect(await readLeaderEpochCheckpoint(dir)).toBeNull();
      await writeLeaderEpochCheckpoint(dir, [{ epoch: 2, startOffset: 7 }]);
      expect(await fs.readFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8')).toBe('0\n1\n2 7\n');
      await writeLeaderEpochCheckpoint(dir, []);
      expect(await readLeaderEpochCheckpoint(dir)).toEqual([]);
      expect((await fs.readdir(dir)).sort()).toEqual([LEADER_EPOCH_CHECKPOINT_FILE]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
