/**
 * The physical limit: the same bytes written to (and read back from) a plain file on the disk the
 * brokers use, with sequential awaited writes of one batch each, no framing, no index.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class RawDiskWriter {
  private constructor(
    private readonly fh: FileHandle,
    private readonly chunk: Buffer,
    private readonly sync: boolean,
  ) {}

  /** A writer of batches of `perBatch` values of `valueBytes`; `sync` fdatasyncs every write. */
  static async open(file: string, perBatch: number, valueBytes: number, sync = false): Promise<RawDiskWriter> {
    return new RawDiskWriter(await open(file, 'w'), Buffer.alloc(perBatch * valueBytes, 0x78), sync);
  }

  async writeBatch(): Promise<void> {
    await this.fh.write(this.chunk, 0, this.chunk.length);
    if (this.sync) await this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Reads `file` sequentially in 1 MiB reads; resolves with the bytes read. */
export async function readWhole(file: string): Promise<number> {
  const fh = await open(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let total = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return total;
      total += bytesRead;
    }
  } finally {
    await fh.close();
  }
}
