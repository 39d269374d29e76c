import fs from 'node:fs/promises';
import path from 'node:path';
import { CheckpointFile } from './checkpoint-file.js';
import { tempDir } from './log.test-util.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('checkpoint');
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('CheckpointFile', () => {
  it("writes Kafka's text format and reads it back", async () => {
    const file = new CheckpointFile(path.join(dir, 'recovery-point-offset-checkpoint'));
    expect(await file.read()).toEqual([]);
    await file.write([{ topic: 'orders', partition: 0, offset: 1234 }, { topic: 'orders', partition: 1, offset: 977 }]);
    expect(await fs.readFile(file.path, 'utf8')).toBe('0\n2\norders 0 1234\norders 1 977\n');
    expect(await file.read()).toEqual([{ topic: 'orders', partition: 0, offset: 1234 }, { topic: 'orders', partition: 1, offset: 977 }]);
    expect((await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('serialises concurrent writes; the last one wins', async () => {
    const file = new CheckpointFile(path.join(dir, 'cp'));
    await Promise.all(Array.from({ length: 10 }, (_, i) => file.write([{ topic: 't', partition: 0, offset: i }])));
    expect(await file.read()).toEqual([{ topic: 't', partition: 0, offset: 9 }]);
  });

  it.each([
    ['1\n0\n', /unsupported version/],
    ['0\n2\nt 0 1\n', /declares 2 entries, has 1/],
    ['0\n1\nt x 1\n', /line 3/],
    ['0\n', /missing version or entry count/],
  ])('rejects malformed content %j', async (content, message) => {
    const file = new CheckpointFile(path.join(dir, 'cp'));
    await fs.writeFile(file.path, content);
    await expect(file.read()).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', message: expect.stringMatching(message) });
  });
});
