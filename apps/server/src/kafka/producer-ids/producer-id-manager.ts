/**
 * Hands out idempotent producer ids (InitProducerId) from blocks reserved durably by a
 * ProducerIdBlockAllocator, as Kafka's ProducerIdManager does: ids of the current block are
 * returned at once; when 90% of it is used, the next block is reserved in the background so that
 * a burst of new producers rarely waits for the disk (or, in a cluster, for the shared store).
 *
 * Ids are unique for the life of the data directory (or of the cluster's store): they depend on
 * the reservations only, never on the clock. Ids of a block are handed out in increasing order;
 * across blocks they increase too with the file allocator.
 *
 * Concurrency: any number of `nextProducerId` calls may overlap; at most one reservation runs at
 * a time and every id is returned once. A failed reservation rejects the calls waiting for it
 * (InitProducerId answers with its error); the next call tries again.
 */
import type { Logger } from '@spool/common';
import type { ProducerIdBlock, ProducerIdBlockAllocator } from './producer-id-block.js';

/** Kafka's prefetch point: the next block is requested when this fraction of the current one is used. */
const PREFETCH_FRACTION = 0.9;

export class ProducerIdManager {
  private next = 0;
  private end = 0;
  private prefetchAt = 0;
  private upcoming: ProducerIdBlock | null = null;
  private reserving: Promise<void> | null = null;

  constructor(
    private readonly allocator: ProducerIdBlockAllocator,
    private readonly logger: Logger,
  ) {}

  /** A producer id never returned before, by this process or any earlier one on the same store. */
  async nextProducerId(): Promise<number> {
    for (;;) {
      if (this.next < this.end) {
        const id = this.next++;
        if (this.next >= this.prefetchAt && this.upcoming === null && this.reserving === null) {
          this.reserveNext().catch(() => undefined); // retried, and reported, by the call that needs it
        }
        return id;
      }
      if (this.upcoming !== null) {
        this.use(this.upcoming);
        this.upcoming = null;
        continue;
      }
      await (this.reserving ?? this.reserveNext());
    }
  }

  private reserveNext(): Promise<void> {
    const reserving: Promise<void> = this.allocator
      .allocate()
      .then(
        (block) => {
          this.upcoming = block;
          this.logger.info({ firstProducerId: block.firstProducerId, size: block.size }, 'reserved a producer id block');
        },
        (err: unknown) => {
          this.logger.error({ err }, 'reserving a producer id block failed');
          throw err;
        },
      )
      .finally(() => {
        if (this.reserving === reserving) this.reserving = null;
      });
    this.reserving = reserving;
    return reserving;
  }

  private use(block: ProducerIdBlock): void {
    this.next = block.firstProducerId;
    this.end = block.firstProducerId + block.size;
    this.prefetchAt = block.firstProducerId + Math.floor(block.size * PREFETCH_FRACTION);
  }
}
