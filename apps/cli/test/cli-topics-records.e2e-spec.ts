/**
 * The built `spool` CLI as a process against a broker process: topic commands, produce and consume,
 * with kcat (librdkafka, over the Kafka protocol) as the independent judge of what was produced and
 * as the producer of what the CLI must read.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { CLI_MAIN, CliHarness, E2E_TIMEOUT_MS, jsonLines, requireKcat } from './cli-process.test-util.js';

const run = promisify(execFile);

let cli: CliHarness;
let kcat: string;

beforeAll(async () => {
  kcat = requireKcat();
  cli = await CliHarness.start();
}, E2E_TIMEOUT_MS);

afterAll(async () => {
  await cli?.close();
});

async function kcatRun(args: string[], input?: string): Promise<string> {
  const child = run(kcat, ['-b', cli.bootstrap, ...args], { timeout: 30_000, maxBuffer: 64 << 20 });
  child.child.stdin!.end(input);
  return (await child).stdout;
}

interface TopicView {
  name: string;
  partitions: Array<{ partition: number; logStartOffset: number; highWatermark: number }>;
  configs: Record<string, string>;
}

describe('spool topic', () => {
  it('create, list, describe, alter and delete, with the errors a user can act on', async () => {
    let r = await cli.run(['topic', 'create', 'orders', '-p', '3', '-c', 'retention.ms=86400000']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^created topic orders with 3 partitions/);

    r = await cli.run(['topic', 'create', 'orders']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('spool: error: topic orders already exists');
    expect(r.stderr).toContain('hint: add --if-not-exists');
    expect((await cli.run(['topic', 'create', 'orders', '--if-not-exists'])).code).toBe(0);

    const list = await cli.json<{ topics: Array<{ name: string; partitions: number }> }>(['topic', 'list']);
    expect(list.topics).toContainEqual(expect.objectContaining({ name: 'orders', partitions: 3 }));
    const table = await cli.run(['topic', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+PARTITIONS\s+ID$/);
    expect(table.stdout).toMatch(/^orders\s+3\s+\S+$/m);

    const yaml = await cli.run(['topic', 'describe', 'orders', '-o', 'yaml']);
    const described = load(yaml.stdout) as TopicView;
    expect(described.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(described.configs['retention.ms']).toBe('86400000');

    r = await cli.run(['topic', 'alter', 'orders', '-c', 'retention.ms=3600000', '--partitions', '4']);
    expect(r.code).toBe(0);
    const altered = await cli.json<TopicView>(['topic', 'describe', 'orders']);
    expect(altered.partitions).toHaveLength(4);
    expect(altered.configs['retention.ms']).toBe('3600000');

    r = await cli.run(['topic', 'alter', 'orders', '-c', 'retention.mss=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown topic config "retention.mss"');
    r = await cli.run(['topic', 'alter', 'orders']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing to change');

    r = await cli.run(['topic', 'create', 'bad name!']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid topic name');

    expect((await cli.run(['topic', 'delete', 'orders'])).stdout).toBe('deleted topic orders\n');
    r = await cli.run(['topic', 'describe', 'orders']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('hint: `spool topic list` lists the topics');
    expect((await cli.run(['topic', 'delete', 'orders'])).code).toBe(3);
    expect((await cli.run(['topic', 'delete', 'orders', '--if-exists'])).stdout).toBe('topic orders does not exist\n');
  }, E2E_TIMEOUT_MS);
});

describe('spool produce and consume', () => {
  it('produces kcat -P style lines (key delimiter, headers, text) that kcat reads back as sent', async () => {
    await cli.run(['topic', 'create', 'kv', '-p', '1']);
    const r = await cli.run(['produce', 'kv', '-K', ':', '-F', 'string', '-H', 'src=cli'], { input: 'user-1:hello\nuser-2:a:b\n\nuser-3:\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^produced 3 records to kv/);
    const out = await kcatRun(['-C', '-t', 'kv', '-e', '-f', '%k=%s|%h\\n']);
    expect(out.split('\n').filter(Boolean)).toEqual([
      'user-1=hello|src=cli,content-type=text/plain; charset=utf-8',
      'user-2=a:b|src=cli,content-type=text/plain; charset=utf-8',
      'user-3=|src=cli,content-type=text/plain; charset=utf-8',
    ]);
  }, E2E_TIMEOUT_MS);

  it('consumes what kcat produced as JSON lines, a -f template, a tail, a time and a count', async () => {
    await cli.run(['topic', 'create', 'events', '-p', '2']);
    await kcatRun(['-P', '-t', 'events', '-p', '0', '-K', ':'], 'a:{"n":1}\nb:{"n":2}\n');
    await kcatRun(['-P', '-t', 'events', '-p', '1', '-K', ':'], 'c:{"n":3}\n');

    const all = await cli.run(['consume', 'events']);
    expect(all.code).toBe(0);
    const records = jsonLines(all.stdout).sort((x, y) => (x.partition as number) - (y.partition as number) || (x.offset as number) - (y.offset as number));
    expect(records.map((x) => [x.topic, x.partition, x.offset, x.key, x.value])).toEqual([
      ['events', 0, 0, 'a', { n: 1 }],
      ['events', 0, 1, 'b', { n: 2 }],
      ['events', 1, 0, 'c', { n: 3 }],
    ]);

    const templated = await cli.run(['consume', 'events', '-p', '0', '-f', '%t %p/%o %k=%s (%S bytes)\\n']);
    expect(templated.stdout).toBe('events 0/0 a={"n":1} (7 bytes)\nevents 0/1 b={"n":2} (7 bytes)\n');

    const tail = await cli.run(['consume', 'events', '-p', '0', '--offset', '-1']);
    expect(jsonLines(tail.stdout).map((x) => x.key)).toEqual(['b']);

    const counted = await cli.run(['consume', 'events', '-p', '0', '--count', '1']);
    expect(jsonLines(counted.stdout).map((x) => x.offset)).toEqual([0]);
    // One record per fetch: the JSON lines of every page, in order, each its own line.
    const paged = await cli.run(['consume', 'events', '-p', '0', '--fetch-max-records', '1']);
    expect(paged.stdout.split('\n')).toHaveLength(3);
    expect(jsonLines(paged.stdout).map((x) => [x.topic, x.partition, x.offset, x.key])).toEqual([['events', 0, 0, 'a'], ['events', 0, 1, 'b']]);

    const future = await cli.run(['consume', 'events', '--offset', `@${Date.now() + 3_600_000}`]);
    expect(future).toMatchObject({ code: 0, stdout: '' });
    const past = await cli.run(['consume', 'events', '--offset', '@2020-01-01T00:00:00Z']);
    expect(jsonLines(past.stdout)).toHaveLength(3);

    let r = await cli.run(['consume', 'events', '-p', '0', '--offset', '99']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('offset 99 is outside partition 0 of events, which holds 0..2');
    r = await cli.run(['consume', 'events', '-p', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('topic events has no partition 5');
    r = await cli.run(['consume', 'events', '-f', '%x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown token %x');
    r = await cli.run(['consume', 'no-such-topic']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('topic no-such-topic does not exist');
  }, E2E_TIMEOUT_MS);

  it('--follow prints a record kcat produces after it started, then stops at --count', async () => {
    await cli.run(['topic', 'create', 'live', '-p', '1']);
    await kcatRun(['-P', '-t', 'live'], '{"old":true}\n');
    // From offset 1 (the end now): deterministic whether or not kcat's record lands before the CLI's first fetch.
    const follower = cli.spawn(['consume', 'live', '--offset', '1', '--follow', '--count', '1']);
    await kcatRun(['-P', '-t', 'live', '-K', ':'], 'k:{"fresh":true}\n');
    const done = await follower.done;
    expect(done.code).toBe(0);
    expect(jsonLines(done.stdout)).toEqual([expect.objectContaining({ partition: 0, offset: 1, key: 'k', value: { fresh: true } })]);
  }, E2E_TIMEOUT_MS);

  it('a file with a bad line: the lines before it are appended, the error names the line and how to resume', async () => {
    await cli.run(['topic', 'create', 'from-file', '-p', '1']);
    const file = path.join(cli.home, 'records.txt');
    await writeFile(file, '{"n":1}\n{"n":2}\nnot json\n{"n":4}\n');
    const r = await cli.run(['produce', 'from-file', '-f', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the value on line 3 is not JSON');
    expect(r.stderr).toContain('the 2 records before it were appended');
    expect(r.stderr).toContain(`tail -n +3 ${file}`);
    const read = await cli.run(['consume', 'from-file', '-f', '%s\\n']);
    expect(read.stdout).toBe('{"n":1}\n{"n":2}\n');

    const missing = await cli.run(['produce', 'from-file', '-f', path.join(cli.home, 'nope.txt')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  }, E2E_TIMEOUT_MS);

  it('on a terminal, produce draws a progress bar on stderr and clears it (script(1) gives the CLI a pty)', async () => {
    const file = path.join(cli.home, 'progress.txt');
    await writeFile(file, Array.from({ length: 5000 }, (_, i) => `{"i":${i}}`).join('\n') + '\n');
    const command = [process.execPath, CLI_MAIN, 'produce', 'progress', '-f', file].map((a) => `'${a}'`).join(' ');
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], { timeout: 60_000, env: { PATH: process.env.PATH, HOME: cli.home, SPOOL_URL: cli.url } });
    expect(stdout).toMatch(/\r\[[#.]+\] +\d+% [\d,]+ records [\d.]+ (KiB|MiB)\/[\d.]+ KiB [\d,]+ records\/s\x1b\[K/);
    expect(stdout).toContain('\r\x1b[K'); // cleared before the summary
    expect(stdout).toContain('produced 5,000 records to progress');
  }, E2E_TIMEOUT_MS);

  it('a larger file round-trips: every line once, in order per partition, NDJSON records with their own keys', async () => {
    await cli.run(['topic', 'create', 'bulk', '-p', '3']);
    const n = 20_000;
    const file = path.join(cli.home, 'bulk.ndjson');
    await writeFile(file, Array.from({ length: n }, (_, i) => JSON.stringify({ key: `k${i % 97}`, value: { i } })).join('\n') + '\n');
    const produced = await cli.json<{ recordCount: number }>(['produce', 'bulk', '--ndjson', '-f', file]);
    expect(produced.recordCount).toBe(n);
    const consumed = await cli.run(['consume', 'bulk', '--count', String(n), '-f', '%p %k %s\\n'], { timeoutMs: 120_000 });
    expect(consumed.code).toBe(0);
    const lines = consumed.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(n);
    const seen = new Set<number>();
    const lastByPartition = new Map<string, number>();
    const partitionOfKey = new Map<string, string>();
    for (const line of lines) {
      const [partition, key, value] = line.split(' ');
      const i = (JSON.parse(value) as { i: number }).i;
      seen.add(i);
      expect(i).toBeGreaterThan(lastByPartition.get(partition) ?? -1); // a partition keeps the input's order
      lastByPartition.set(partition, i);
      expect(partitionOfKey.get(key) ?? partition).toBe(partition); // one key, one partition
      partitionOfKey.set(key, partition);
    }
    expect(seen.size).toBe(n);
  }, 2 * E2E_TIMEOUT_MS);
});
