/**
 * A promise-chain mutex: `run` calls queue in order and each starts when the previous one has
 * settled (fulfilled or rejected). The log serialises every mutation of one partition with it.
 */
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;

  /** Runs `task` once every earlier task settled; resolves or rejects with its result. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.tail.then(task, task);
    this.tail = result.then(
      () => this.queued--,
      () => this.queued--,
    );
    return result;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.queued;
  }
}
