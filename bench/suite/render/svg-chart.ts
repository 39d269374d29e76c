/**
 * Horizontal bar charts as plain SVG text, for docs/img: one row per label, one bar per series in
 * the row, an optional min–max whisker per bar, the value printed after the bar, group headings
 * between rows. Linear or log10 scale. No dependencies; deterministic output for a given input.
 */

export interface ChartRow {
  readonly label: string;
  /** One value per series; NaN or undefined draws nothing for that series. */
  readonly values: ReadonlyArray<number | undefined>;
  readonly mins?: ReadonlyArray<number | undefined>;
  readonly maxs?: ReadonlyArray<number | undefined>;
  /** Rows with a group get a heading when the group changes. */
  readonly group?: string;
}

export interface ChartSpec {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly string[];
  readonly rows: readonly ChartRow[];
  readonly scale?: 'linear' | 'log';
  readonly width?: number;
  /** Formats a value for its label; default: thousands separators, up to 1 decimal below 100. */
  readonly format?: (v: number) => string;
}

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
const LABEL_W = 260;
const VALUE_W = 110;
const BAR_H = 14;
const BAR_GAP = 3;
const ROW_GAP = 8;
const HEADING_H = 20;
const TOP = 44;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function defaultFormat(v: number): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: v < 100 ? 1 : 0 });
}

function finite(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v);
}

/** Maps a value to [0, 1] of the bar area. */
export function scaler(values: readonly number[], scale: 'linear' | 'log'): (v: number) => number {
  const positive = values.filter((v) => v > 0);
  const max = positive.length > 0 ? Math.max(...positive) : 1;
  if (scale === 'linear') return (v) => Math.max(0, Math.min(1, v / max));
  const hi = Math.log10(max);
  const lo = Math.floor(Math.log10(Math.min(...positive, max))) - 0.3;
  return (v) => (v <= 0 ? 0 : Math.max(0, Math.min(1, (Math.log10(v) - lo) / (hi - lo || 1))));
}

export function renderBarChart(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const barArea = width - LABEL_W - VALUE_W - 20;
  const fmt = spec.format ?? defaultFormat;
  const all = spec.rows.flatMap((r) => [...r.values, ...(r.maxs ?? [])]).filter(finite);
  const x = scaler(all, spec.scale ?? 'linear');
  const out: string[] = [];
  let y = TOP;
  let group: string | undefined;
  for (const row of spec.rows) {
    if (row.group !== undefined && row.group !== group) {
      group = row.group;
      out.push(`<text x="10" y="${y + 14}" class="group">${escapeXml(group)}</text>`);
      y += HEADING_H;
    }
    const rowH = spec.series.length * (BAR_H + BAR_GAP) - BAR_GAP;
    out.push(`<text x="${LABEL_W - 8}" y="${y + rowH / 2 + 4}" text-anchor="end">${escapeXml(row.label)}</text>`);
    spec.series.forEach((_, s) => {
      const v = row.values[s];
      const by = y + s * (BAR_H + BAR_GAP);
      if (!finite(v)) return;
      const w = Math.max(1, x(v) * barArea);
      out.push(`<rect x="${LABEL_W}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[s % COLORS.length]}"/>`);
      const lo = row.mins?.[s];
      const hi = row.maxs?.[s];
      if (finite(lo) && finite(hi)) {
        const x1 = (LABEL_W + x(lo) * barArea).toFixed(1);
        const x2 = (LABEL_W + x(hi) * barArea).toFixed(1);
        const my = by + BAR_H / 2;
        out.push(`<path d="M${x1} ${my}H${x2}M${x1} ${by + 3}V${by + BAR_H - 3}M${x2} ${by + 3}V${by + BAR_H - 3}" class="whisker"/>`);
      }
      const labelX = LABEL_W + Math.max(w, finite(hi) ? x(hi) * barArea : 0) + 6;
      out.push(`<text x="${labelX.toFixed(1)}" y="${by + BAR_H - 3}" class="value">${escapeXml(fmt(v))}</text>`);
    });
    y += rowH + ROW_GAP;
  }
  const legend =
    spec.series.length > 1
      ? spec.series.map((name, s) => `<rect x="${LABEL_W + s * 90}" y="${y + 4}" width="10" height="10" fill="${COLORS[s % COLORS.length]}"/><text x="${LABEL_W + s * 90 + 14}" y="${y + 13}">${escapeXml(name)}</text>`).join('')
      : '';
  const height = y + (legend === '' ? 24 : 40);
  const scaleNote = spec.scale === 'log' ? ', log scale' : '';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>.group{font-weight:bold}.value{fill:#333;font-size:11px}.whisker{stroke:#222;stroke-width:1;fill:none}.note{fill:#666;font-size:11px}</style>',
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`,
    `<text x="10" y="36" class="note">${escapeXml(`${spec.unit}${scaleNote}; bar: median, whisker: min–max`)}</text>`,
    ...out,
    legend,
    '</svg>',
    '',
  ].join('\n');
}
