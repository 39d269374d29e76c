/**
 * One status line on stderr, redrawn at most 10 times a second, for long operations on a
 * terminal: a bar when the total is known (bytes of an input file), else counts and rates. Off
 * when stderr is not a TTY, so logs and pipes get no control characters.
 */
export interface ProgressSink {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): unknown;
}

let numberFormat: Intl.NumberFormat | undefined;

/** 1,234,567. The formatter is built on first use: building it loads ICU data, which showed in every command's start-up profile. */
export function formatCount(n: number): string {
  numberFormat ??= new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  return numberFormat.format(n);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export class Progress {
  private lastDraw = 0;
  private drawn = false;
  private readonly startedAt = performance.now();

  constructor(
    private readonly sink: ProgressSink,
    /** Total bytes, when known. */
    private readonly totalBytes: number | undefined,
    private readonly noun: string,
    readonly enabled = sink.isTTY === true,
  ) {}

  update(records: number, bytes: number, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const seconds = Math.max((now - this.startedAt) / 1000, 0.001);
    const rate = `${formatCount(records / seconds)} ${this.noun}/s`;
    let line: string;
    if (this.totalBytes !== undefined && this.totalBytes > 0) {
      const ratio = Math.min(1, bytes / this.totalBytes);
      const width = Math.max(10, Math.min(40, (this.sink.columns ?? 80) - 60));
      const filled = Math.round(ratio * width);
      line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${formatCount(records)} ${this.noun} ${formatBytes(bytes)}/${formatBytes(this.totalBytes)} ${rate}`;
    } else {
      line = `${formatCount(records)} ${this.noun} ${formatBytes(bytes)} ${rate}`;
    }
    this.sink.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  /** Clears the line (the final summary goes to stdout). */
  done(): void {
    if (this.enabled && this.drawn) this.sink.write('\r\x1b[K');
  }
}
