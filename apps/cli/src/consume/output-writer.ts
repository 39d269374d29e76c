/**
 * Writes formatted pages to stdout with backpressure: a write that fills the stream's buffer
 * waits for 'drain', so a slow reader (a pipe into `head`, a slow disk) slows the fetch loops
 * rather than filling memory.
 */
export class OutputWriter {
  constructor(private readonly out: NodeJS.WritableStream) {}

  write(text: string | Uint8Array): Promise<void> | undefined {
    if (text.length === 0) return undefined;
    if (this.out.write(text)) return undefined;
    return new Promise((resolve) => this.out.once('drain', resolve));
  }
}
