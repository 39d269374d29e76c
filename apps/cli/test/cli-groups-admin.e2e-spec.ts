/**
 * The built `spool` CLI as a process against a broker process: consumer groups (the CLI as a
 * member, kafka-consumer-groups style describe and reset with a dry run first), cluster info,
 * profiles, shell completion run by a real bash, and the failures a user meets (bad flag, broker
 * down, JSON error envelopes).
 */
import { execFile } from 'node:child_process';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../server/test/server-process.test-util.js';
import { CliHarness, E2E_TIMEOUT_MS, jsonLines } from './cli-process.test-util.js';

const run = promisify(execFile);

let cli: CliHarness;

beforeAll(async () => {
  cli = await CliHarness.start();
}, E2E_TIMEOUT_MS);

afterAll(async () => {
  await cli?.close();
});

interface GroupView {
  state: string;
  members: Array<{ memberId: string; assignment: Array<{ topic: string; partition: number }> | null }>;
  offsets: Array<{ topic: string; partition: number; committedOffset: number; lag: number | null }>;
}

interface ResetView {
  dryRun: boolean;
  offsets: Array<{ topic: string; partition: number; previousOffset: number | null; committedOffset: number; lag: number }>;
}

/** Polls `group describe` until `accept` holds (membership changes take a rebalance). */
async function waitForGroup(group: string, accept: (g: GroupView) => boolean): Promise<GroupView> {
  const giveUpAt = Date.now() + 60_000;
  for (;;) {
    const r = await cli.run(['-o', 'json', 'group', 'describe', group]);
    if (r.code === 0) {
      const g = JSON.parse(r.stdout) as GroupView;
      if (accept(g)) return g;
    }
    if (Date.now() > giveUpAt) throw new Error(`group ${group} not as expected in time: ${r.stdout}${r.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const byPartition = <T extends { partition: number }>(rows: T[]): T[] => [...rows].sort((a, b) => a.partition - b.partition);

describe('spool group', () => {
  it('consume --group commits what it printed; reset-offsets refuses a live group, shows a plan, then executes it', async () => {
    await cli.run(['topic', 'create', 'clicks', '-p', '2']);
    const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({ partition: i % 2, value: { i } })).join('\n');
    expect((await cli.run(['produce', 'clicks', '--ndjson'], { input: lines })).code).toBe(0);

    // A member prints 4 records and leaves: the group's committed offsets are right after them.
    const first = await cli.run(['consume', 'clicks', '--group', 'dash', '--count', '4']);
    expect(first.code).toBe(0);
    expect(jsonLines(first.stdout)).toHaveLength(4);
    const afterFirst = await waitForGroup('dash', (g) => g.state === 'Empty');
    const committed = afterFirst.offsets.reduce((n, o) => n + o.committedOffset, 0);
    expect(committed).toBe(4);

    // The next member starts where the first stopped: together they print each record once.
    const second = await cli.run(['consume', 'clicks', '--group', 'dash', '--count', '6']);
    const seen = [...jsonLines(first.stdout), ...jsonLines(second.stdout)].map((r) => (r.value as { i: number }).i).sort((a, b) => a - b);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const list = await cli.json<{ groups: Array<{ groupId: string; state: string }> }>(['group', 'list']);
    expect(list.groups).toContainEqual(expect.objectContaining({ groupId: 'dash', state: 'Empty' }));
    const table = await cli.run(['group', 'describe', 'dash']);
    expect(table.stdout).toMatch(/^TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID$/m);
    expect(table.stdout).toContain('total lag: 0');

    // While a member is in the group, reset is refused, dry run included.
    const member = cli.spawn(['consume', 'clicks', '--group', 'dash', '--follow']);
    await waitForGroup('dash', (g) => g.state === 'Stable' && g.members.length === 1);
    let r = await cli.run(['group', 'reset-offsets', 'dash', '--all-topics', '--to-earliest']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('offsets can only be reset while it is empty');
    expect(r.stderr).toContain('hint: stop the group\'s consumers first');
    member.child.kill('SIGINT'); // the CLI leaves its group on the first signal
    expect((await member.done).code).toBe(0);
    await waitForGroup('dash', (g) => g.state === 'Empty');

    // The default is a dry run: the plan, nothing committed.
    const plan = await cli.json<ResetView>(['group', 'reset-offsets', 'dash', '--topic', 'clicks', '--to-earliest']);
    expect(plan.dryRun).toBe(true);
    expect(byPartition(plan.offsets).map((o) => [o.partition, o.previousOffset, o.committedOffset, o.lag])).toEqual([
      [0, 5, 0, 5],
      [1, 5, 0, 5],
    ]);
    const dryTable = await cli.run(['group', 'reset-offsets', 'dash', '--all-topics', '--shift-by', '-2']);
    expect(dryTable.stdout).toContain('dry run: nothing was committed; add --execute');
    let g = await waitForGroup('dash', () => true);
    expect(byPartition(g.offsets).map((o) => o.committedOffset)).toEqual([5, 5]);

    const executed = await cli.json<ResetView>(['group', 'reset-offsets', 'dash', '--all-topics', '--shift-by', '-2', '--execute']);
    expect(executed.dryRun).toBe(false);
    g = await waitForGroup('dash', () => true);
    expect(byPartition(g.offsets).map((o) => [o.committedOffset, o.lag])).toEqual([
      [3, 2],
      [3, 2],
    ]);
    await cli.json(['group', 'reset-offsets', 'dash', '--all-topics', '--to-offset', '1', '--execute']);
    g = await waitForGroup('dash', () => true);
    expect(byPartition(g.offsets).map((o) => o.committedOffset)).toEqual([1, 1]);
    // The next member reads from the reset position: 4 records per partition.
    const again = await cli.run(['consume', 'clicks', '--group', 'dash', '--count', '8']);
    expect(jsonLines(again.stdout).map((x) => x.offset).sort()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);

    r = await cli.run(['group', 'reset-offsets', 'dash', '--all-topics']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('say where to move the offsets');
    r = await cli.run(['group', 'reset-offsets', 'dash', '--all-topics', '--to-earliest', '--to-latest']);
    expect(r.code).toBe(2);
    r = await cli.run(['group', 'reset-offsets', 'dash', '--to-datetime', 'yesterday', '--all-topics']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ISO 8601');

    await waitForGroup('dash', (x) => x.state === 'Empty');
    expect((await cli.run(['group', 'delete', 'dash'])).stdout).toBe('deleted group dash\n');
    r = await cli.run(['group', 'describe', 'dash']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('`spool group list` lists the groups');
    expect((await cli.run(['group', 'delete', 'dash', '--if-exists'])).code).toBe(0);
  }, 2 * E2E_TIMEOUT_MS);
});

describe('spool cluster, profile, completion and failures', () => {
  it('cluster info counts topics, partitions and the partitions each broker leads', async () => {
    await cli.run(['topic', 'create', 'info-a', '-p', '3']);
    await cli.run(['produce', 'info-a'], { input: '{"n":1}\n' });
    const info = await cli.json<{ mode: string; controller: number | null; topics: number; partitions: number; offlinePartitions: number; brokers: Array<{ id: number; alive: boolean; partitionsLed: number; replicas: number; logSizeBytes: number | null }> }>(['cluster', 'info']);
    const topics = await cli.json<{ topics: Array<{ partitions: number }> }>(['topic', 'list']);
    expect(info.topics).toBe(topics.topics.length);
    expect(info.partitions).toBe(topics.topics.reduce((n, t) => n + t.partitions, 0));
    expect(info.mode).toBe('single-node');
    expect(info.controller).toBe(0);
    expect(info.brokers).toEqual([expect.objectContaining({ id: 0, alive: true, partitionsLed: info.partitions, replicas: info.partitions })]);
    expect(info.brokers[0]!.logSizeBytes).toBeGreaterThan(0);
    expect(info.offlinePartitions).toBe(0);
  }, E2E_TIMEOUT_MS);

  it('subscription commands on a broker without Redis say how to turn push delivery on', async () => {
    const r = await cli.run(['subscription', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('SPOOL_REDIS_URL');
  }, E2E_TIMEOUT_MS);

  it('profiles: the URL and a token from a file (mode 0600, token never printed); --profile picks one', async () => {
    const env = { SPOOL_URL: '' };
    let r = await cli.run(['--url', cli.url, 'profile', 'set', 'local', '--token-stdin'], { env, input: 's3cret-token\n' });
    expect(r.code).toBe(0);
    const file = path.join(cli.home, '.config/spool/config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    r = await cli.run(['profile', 'list'], { env });
    expect(r.stdout).toMatch(/^\*\s+local\s+http:\/\/127\.0\.0\.1:\d+\s+set$/m);
    expect(r.stdout + r.stderr).not.toContain('s3cret');
    // No --url, no SPOOL_URL: the current profile's URL reaches the broker.
    r = await cli.run(['topic', 'list'], { env });
    expect(r.code).toBe(0);
    const port = await freePort();
    await cli.run(['--url', `http://127.0.0.1:${port}`, 'profile', 'set', 'down'], { env });
    r = await cli.run(['--profile', 'down', 'topic', 'list'], { env });
    expect(r.code).toBe(6);
    r = await cli.run(['--profile', 'nope', 'topic', 'list'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no profile named "nope"');
    expect(r.stderr).toContain('known profiles: local, down');
    r = await cli.run(['profile', 'use', 'down'], { env });
    expect(r.stdout).toBe('current profile: down\n');
    const shown = await cli.json<{ url: string; profile: string; token: boolean }>(['profile', 'show'], { env });
    expect(shown).toMatchObject({ url: `http://127.0.0.1:${port}`, profile: 'down', token: false });
    expect((await cli.run(['topic', 'list'], { env })).code).toBe(6);
    // The environment beats the profile.
    expect((await cli.run(['topic', 'list'], { env: { SPOOL_URL: cli.url } })).code).toBe(0);
    expect((await cli.run(['profile', 'delete', 'down'], { env })).stdout).toBe('deleted profile down\n');
    expect((await cli.json<{ current: string | null }>(['profile', 'list'], { env })).current).toBeNull();
    await writeFile(path.join(cli.home, 'broken.json'), '{ not json');
    r = await cli.run(['--profile-file', path.join(cli.home, 'broken.json'), 'topic', 'list'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not valid JSON');
  }, E2E_TIMEOUT_MS);

  it('bash completes commands, subcommands and option values from the generated script', async () => {
    const script = (await cli.run(['completion', 'bash'])).stdout;
    const complete = async (words: string[]): Promise<string[]> => {
      const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _spool_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const { stdout } = await run('bash', ['-c', program], { timeout: 10_000 });
      return stdout.split('\n').filter(Boolean);
    };
    expect(await complete(['spool', 'to'])).toEqual(['topic']);
    expect(await complete(['spool', 'group', ''])).toEqual(expect.arrayContaining(['list', 'describe', 'reset-offsets', 'delete']));
    expect(await complete(['spool', 'group', 'reset-offsets', '--to-'])).toEqual(expect.arrayContaining(['--to-earliest', '--to-latest', '--to-datetime', '--to-offset']));
    expect(await complete(['spool', '-o', ''])).toEqual(['table', 'json', 'yaml']);
    expect((await cli.run(['completion', 'zsh'])).stdout).toContain('#compdef spool');
    expect((await cli.run(['completion', 'fish'])).code).toBe(2);
  }, E2E_TIMEOUT_MS);

  it('a bad flag is exit 2 with commander\'s message; a broker that is down is exit 6 with what to do', async () => {
    let r = await cli.run(['topic', 'list', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("spool: error: unknown option '--bogus'");
    r = await cli.run(['-o', 'xml', 'topic', 'list']);
    expect(r.code).toBe(2);
    r = await cli.run(['topicz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('(Did you mean topic?)');

    const down = `http://127.0.0.1:${await freePort()}`;
    r = await cli.run(['topic', 'list'], { env: { SPOOL_URL: down } });
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`spool: error: cannot reach the broker at ${down}: connection refused`);
    expect(r.stderr).toContain('hint: is it running?');
    r = await cli.run(['-o', 'json', 'consume', 'x'], { env: { SPOOL_URL: down } });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stderr)).toEqual({ error: expect.objectContaining({ code: 'BROKER_UNREACHABLE', details: { cause: 'ECONNREFUSED' } }) });
    r = await cli.run(['produce', 'x'], { env: { SPOOL_URL: 'ftp://example' }, input: '{}\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('must be an http:// or https:// URL');

    expect((await cli.run(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await cli.run(['group', 'reset-offsets', '--help'])).stdout).toContain('--shift-by <n>');
  }, E2E_TIMEOUT_MS);
});
