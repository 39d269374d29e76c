/**
 * TopicSync on a real etcd and a real LogManager: one cluster topic whose config this broker's log
 * store refuses (an unknown config name, as a newer broker could have accepted) is logged with its
 * error and marked, and every other topic still follows the cluster (created, grown, deleted);
 * once the cluster drops the refused config, the topic is taken too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClusterMetadata, EtcdProcess } from '@spool/cluster';
import type { Logger } from '@spool/common';
import { LogManager } from '@spool/log-engine';
import { TopicSync } from './topic-sync.js';

interface Line {
  readonly level: string;
  readonly msg: string;
  readonly obj: Record<string, unknown>;
}

function recordingLogger(lines: Line[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: Line[] } {
  const log = (level: string) => (obj: object, msg?: string) => lines.push({ level, msg: msg ?? '', obj: { ...bindings, ...obj } });
  return { lines, info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug'), child: (more: object) => recordingLogger(lines, { ...bindings, ...more }) };
}

async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('TopicSync', () => {
  let etcd: EtcdProcess;
  let node: EtcdClusterMetadata;
  let logs: LogManager;
  let dataDir: string;
  let sync: TopicSync | null = null;

  beforeAll(async () => {
    etcd = await EtcdProcess.start();
    node = new EtcdClusterMetadata({
      brokerId: 1,
      endpoints: [etcd.endpoint],
      clusterName: 'topic-sync',
      advertised: { host: '127.0.0.1', kafkaPort: 19001, httpPort: 18001 },
      sessionTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      controller: { leaderImbalanceCheckIntervalMs: 3_600_000 },
    });
    await node.start();
    dataDir = await mkdtemp(join(tmpdir(), 'spool-topic-sync-'));
    logs = await LogManager.open({ dataDir });
  });
  afterAll(async () => {
    sync?.stop();
    await logs?.close();
    await node?.close();
    await etcd?.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('marks a topic whose config the store refuses and keeps syncing the others', async () => {
    // Written straight to etcd: the creating broker checks configs by its own rules, this one's differ.
    await node.createTopic({ name: 'a-refused', partitions: 1, configs: { 'no.such.config': 'x' } });
    await node.createTopic({ name: 'b-fine', partitions: 2 });
    const logger = recordingLogger();
    sync = new TopicSync(node, logs, new Set(), logger);
    await sync.start();

    expect(logs.describeTopic('b-fine').partitions).toBe(2);
    expect(sync.isLocal('b-fine', 1)).toBe(true);
    expect(sync.isLocal('a-refused', 0)).toBe(false);
    expect(sync.refusedTopics().get('a-refused')).toMatch(/no\.such\.config/);
    const refusals = logger.lines.filter((l) => l.level === 'error' && l.obj.topic === 'a-refused');
    expect(refusals).toHaveLength(1);
    expect(String((refusals[0]!.obj.err as Error).message)).toMatch(/no\.such\.config/);

    // Later changes to other topics still arrive while the refused one is retried.
    await node.createPartitions('b-fine', 3);
    await node.createTopic({ name: 'c-later', partitions: 1 });
    await waitFor('b-fine grown and c-later created', () => sync!.isLocal('b-fine', 2) && sync!.isLocal('c-later', 0));
    await node.deleteTopic('c-later');
    await waitFor('c-later deleted', () => !logs.listTopics().some((t) => t.name === 'c-later'));
    // Retried every second without logging the same refusal again.
    expect(logger.lines.filter((l) => l.level === 'error' && l.obj.topic === 'a-refused')).toHaveLength(1);

    // The cluster drops the config: the topic is taken and no longer marked.
    await node.alterTopicConfigs('a-refused', { 'no.such.config': null });
    await waitFor('a-refused taken', () => sync!.isLocal('a-refused', 0));
    expect(sync.refusedTopics().has('a-refused')).toBe(false);
  });
});
