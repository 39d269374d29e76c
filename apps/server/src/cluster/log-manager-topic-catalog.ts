/**
 * The single node's topic store as LocalClusterMetadata sees it (its LocalTopicCatalog port): the
 * broker's LogManager. Topic ids are Kafka's base64url text on both sides; configs are the topic's
 * overrides only. LogManager announces creates, growth and deletes (topicChanges) but not config
 * changes, so changes made through this adapter announce themselves.
 */
import type { LocalTopic, LocalTopicCatalog } from '@spool/cluster';
import type { LogManager } from '@spool/log-engine';

export class LogManagerTopicCatalog implements LocalTopicCatalog {
  private readonly listeners = new Set<() => void>();
  private unsubscribeLogs: (() => void) | null = null;

  constructor(private readonly logs: LogManager) {}

  listTopics(): readonly LocalTopic[] {
    return this.logs.listTopics().map((t) => ({
      name: t.name,
      topicId: t.id,
      partitions: t.partitions,
      configs: Object.fromEntries(t.configEntries.filter((e) => e.source === 'TOPIC').map((e) => [e.name, e.value])),
    }));
  }

  createTopic(name: string, partitions: number, configs: Readonly<Record<string, string>>): Promise<unknown> {
    return this.logs.createTopic(name, partitions, configs);
  }

  deleteTopic(name: string): Promise<void> {
    return this.logs.deleteTopic(name);
  }

  createPartitions(name: string, totalCount: number): Promise<unknown> {
    return this.logs.createPartitions(name, totalCount);
  }

  async alterTopicConfigs(name: string, changes: Readonly<Record<string, string | null>>): Promise<unknown> {
    const described = await this.logs.alterTopicConfigs(name, changes);
    this.notify();
    return described;
  }

  subscribe(listener: () => void): () => void {
    // Subscribed lazily: the LogManager the app injects exists only once the logs are open.
    this.unsubscribeLogs ??= this.logs.topicChanges.subscribe(() => this.notify());
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.unsubscribeLogs?.();
        this.unsubscribeLogs = null;
      }
    };
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
