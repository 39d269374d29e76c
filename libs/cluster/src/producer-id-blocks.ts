/**
 * Producer id blocks from etcd, for idempotent producers on every broker of a cluster (Kafka's
 * ProducerIdManager: ZooKeeper's /latest_producer_id_block, later the controller's
 * ProducerIdsRecord). The `producer_ids` key holds the last block handed out; a broker takes the
 * next one by compare-and-swap on the key's mod revision, so two brokers never get overlapping
 * blocks, and a block is reserved in etcd (replicated, fsynced) before any id of it is used.
 *
 * Shape-compatible with the server's ProducerIdBlockAllocator interface (one `allocate()`),
 * which the single-node server implements with a file.
 */
import type { Logger } from '@spool/common';
import { ClusterError } from './cluster.error.js';
import type { EtcdConnection } from './etcd/etcd-connection.js';
import { decodeProducerIdBlock, encodeProducerIdBlock, type ClusterKeys } from './metadata-codec.js';

/** Kafka's block size (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const CAS_ATTEMPTS = 20;

export interface ProducerIdBlock {
  readonly firstProducerId: number;
  readonly size: number;
}

export class EtcdProducerIdBlockAllocator {
  /**
   * @param floor the lowest id to hand out: a node that ran alone before joining the cluster
   *   passes the next id of its local allocator, so ids already in its logs are never reused.
   */
  constructor(
    private readonly conn: EtcdConnection,
    private readonly keys: ClusterKeys,
    private readonly brokerId: number,
    private readonly logger: Logger,
    private readonly floor = 0,
  ) {}

  /**
   * Reserves the next block; resolves once the reservation is committed in etcd. Concurrent
   * calls (here or on other brokers) each get their own block. Rejects when etcd cannot be
   * reached (nothing reserved).
   */
  async allocate(): Promise<ProducerIdBlock> {
    const key = this.keys.producerIds();
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const { kv } = await this.conn.get(key);
      const last = kv ? decodeProducerIdBlock(key, kv.value) : null;
      const blockStart = Math.max(this.floor, last ? last.blockEnd + 1 : 0);
      const blockEnd = blockStart + PRODUCER_ID_BLOCK_SIZE - 1;
      if (blockEnd > Number.MAX_SAFE_INTEGER) throw new ClusterError('UNKNOWN_SERVER_ERROR', `producer ids exhausted: next block would end at ${blockEnd}, beyond 2^53`);
      const res = await this.conn.txn(
        [kv ? { key, target: 'modRevision', equals: kv.modRevision } : { key, target: 'version', equals: 0 }],
        [{ put: key, value: encodeProducerIdBlock({ brokerId: this.brokerId, blockStart, blockEnd }) }],
      );
      if (res.succeeded) {
        this.logger.debug({ blockStart, blockEnd }, 'reserved a producer id block in etcd');
        return { firstProducerId: blockStart, size: PRODUCER_ID_BLOCK_SIZE };
      }
    }
    throw new ClusterError('REQUEST_TIMED_OUT', `could not reserve a producer id block after ${CAS_ATTEMPTS} attempts (heavy contention)`);
  }
}
