/**
 * Plain-text tables as kafka-topics.sh and kubectl print them: an upper-case header row, columns
 * padded with spaces (numbers right-aligned), no borders, so `awk '{print $1}'` works on them.
 */
export interface Column<R> {
  readonly header: string;
  readonly value: (row: R) => string | number | boolean | null | undefined;
  /** Default: right for numbers, left otherwise. */
  readonly align?: 'left' | 'right';
}

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'number' ? String(v) : String(v);
}

export function renderTable<R>(rows: readonly R[], columns: readonly Column<R>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const right = columns.map((c, i) => c.align === 'right' || (c.align === undefined && cells.length > 0 && cells.every((r) => typeof r[i] === 'number' || r[i] === null || r[i] === undefined) && cells.some((r) => typeof r[i] === 'number')));
  const text = cells.map((r) => r.map(cell));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...text.map((r) => r[i].length)));
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (i === values.length - 1 && !right[i] ? v : right[i] ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...text.map(line)].join('\n') + '\n';
}

/** `key: value` lines with the keys aligned, for one object's scalar fields. */
export function renderFields(fields: ReadonlyArray<readonly [string, string | number | boolean | null | undefined]>): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${cell(v)}`).join('\n') + '\n';
}
