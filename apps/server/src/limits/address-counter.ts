/**
 * Open connections per client address, for the per-address connection limits of the WebSocket,
 * SSE and Kafka listeners (Kafka's max.connections.per.ip). One counter per listener: each face
 * has its own limit. An address with no open connection is forgotten, so the map holds at most the
 * connections that are open.
 */
export class AddressCounter {
  private readonly open = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Counts one more connection from `address` and returns true, or returns false at the limit (nothing counted). */
  tryAcquire(address: string): boolean {
    const count = this.open.get(address) ?? 0;
    if (count >= this.limit) return false;
    this.open.set(address, count + 1);
    return true;
  }

  /** Counts one connection from `address` fewer; call once per successful tryAcquire. */
  release(address: string): void {
    const count = this.open.get(address) ?? 0;
    if (count <= 1) this.open.delete(address);
    else this.open.set(address, count - 1);
  }

  countOf(address: string): number {
    return this.open.get(address) ?? 0;
  }
}
