/**
 * Cluster mode: keeps this node's registry state in step with `_schemas`, so every node answers
 * reads from its own state (docs/schemas.md, "Cluster mode").
 *
 *   start()  reads the log once (retrying for up to OPEN_LIMIT_MS while `_schemas` has no leader,
 *            e.g. during a failover at start-up; then start-up goes on and the loop keeps trying),
 *            then loops: wait until the log may have grown past what was applied (a Fetch long
 *            poll on the leader, or the local high watermark on the leader itself), catch up.
 *            A failed round waits FAILED_ROUND_PAUSE_MS.
 *   role     when this node stops leading `_schemas`-0 it rebuilds its state from the new leader's
 *            committed log: as the writer it applied its whole log, and a tail the new leader
 *            never had must not stay applied here.
 *   close()  ends the loop (aborting a long poll).
 *
 * Reads that find nothing still catch up before answering (SchemaRegistry.fresh), so a write on
 * another node is visible here at once, whatever this loop's delay.
 */
import type { Logger } from '@spool/common';
import { SCHEMAS_TOPIC, type SchemaRegistry } from '@spool/schema-registry';
import type { ReplicationService } from '../replication/replication.service.js';
import type { ClusterSchemasLog } from './cluster-schemas.log.js';

const OPEN_LIMIT_MS = 15_000;
const LONG_POLL_MS = 30_000;
const FAILED_ROUND_PAUSE_MS = 500;

export class SchemasFollower {
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;
  private wasWriter = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly log: ClusterSchemasLog,
    private readonly replication: ReplicationService,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.loop !== null) return;
    this.wasWriter = this.log.isWriter();
    this.unsubscribe = this.replication.onRoleChange((topic, partition) => {
      if (topic === SCHEMAS_TOPIC && partition === 0) this.onRoleChange();
    });
    const deadline = Date.now() + OPEN_LIMIT_MS;
    for (;;) {
      try {
        await this.registry.open();
        break;
      } catch (err) {
        if (Date.now() > deadline) {
          this.logger.warn({ err }, 'could not read _schemas at start-up; going on, still trying');
          break;
        }
        await this.pause(FAILED_ROUND_PAUSE_MS);
      }
    }
    this.loop = this.follow();
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.abort.abort();
    // Closing the connections first fails a read in flight to a leader that no longer answers, so the loop ends at once.
    await this.log.close();
    await this.loop;
  }

  private onRoleChange(): void {
    const writer = this.log.isWriter();
    if (this.wasWriter && !writer) {
      this.logger.info({}, 'no longer the schema registry writer; re-reading _schemas from its new leader');
      this.registry.rebuild().catch((err: unknown) => this.logger.warn({ err }, 'could not re-read _schemas; the follow loop retries'));
    }
    this.wasWriter = writer;
  }

  private async follow(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        if (!this.registry.isOpen) await this.registry.open();
        await this.registry.catchUp();
        await this.log.waitForGrowth(this.registry.state.nextOffset, LONG_POLL_MS, signal);
      } catch (err) {
        if (signal.aborted) return;
        this.logger.debug({ err }, 'following _schemas failed; retrying');
        await this.pause(FAILED_ROUND_PAUSE_MS);
      }
    }
  }

  private pause(ms: number): Promise<void> {
    const signal = this.abort.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
