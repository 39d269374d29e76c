/**
 * A flame graph (SVG) of a V8 CPU profile (the `.cpuprofile` that `node --cpu-prof` or the
 * inspector's Profiler writes; format in bench/suite/cpu-profile.ts). Each box is a function on a
 * call path, as wide as the time its samples spent in it and in what it called; its parents are
 * below it. Same-named frames under the same parent are merged, children are sorted by name (so
 * two profiles of the same code line up), and V8's pseudo-frames ((idle), (garbage collector),
 * (program)) keep their own colour. Hover a box for its name, location, time and share. Calls
 * into node:inspector (the profiler stopping itself, when a program profiles itself through the
 * inspector) are left out: they are the measurement, not the program.
 */
import type { CpuProfile } from '../suite/cpu-profile.js';

export interface FlameGraphOptions {
  readonly title: string;
  /** Shown under the title: what was profiled, how. */
  readonly subtitle?: string;
  readonly width?: number;
  /** Frames whose total share is below this fraction are not drawn (their time stays in the parent's width). */
  readonly minShare?: number;
}

interface Frame {
  readonly name: string;
  readonly location: string;
  totalUs: number;
  readonly children: Map<string, Frame>;
}

const ROW_PX = 17;
const FONT_PX = 11;
const CHAR_PX = 6.2;

/** The merged call tree of `profile`, each frame with the time of its samples and its descendants'. */
export function callTree(profile: CpuProfile): Frame {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, deltas[i] ?? 0));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const childIds = new Set(profile.nodes.flatMap((n) => n.children ?? []));
  const root: Frame = { name: 'all', location: '', totalUs: 0, children: new Map() };
  const visit = (id: number, into: Frame): number => {
    const node = byId.get(id);
    if (node === undefined) return 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    if (name === '(root)') {
      let us = selfUs.get(id) ?? 0;
      for (const child of node.children ?? []) us += visit(child, into);
      return us;
    }
    if (url === 'node:inspector' || url === 'node:inspector/promises') return 0;
    const location = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${name}\u0000${location}`;
    let frame = into.children.get(key);
    if (frame === undefined) {
      frame = { name, location, totalUs: 0, children: new Map() };
      into.children.set(key, frame);
    }
    let us = selfUs.get(id) ?? 0;
    for (const child of node.children ?? []) us += visit(child, frame);
    frame.totalUs += us;
    return us;
  };
  for (const node of profile.nodes) if (!childIds.has(node.id)) root.totalUs += visit(node.id, root);
  return root;
}

/** The SVG text of the flame graph of `profile`. */
export function renderFlameGraph(profile: CpuProfile, opts: FlameGraphOptions): string {
  const width = opts.width ?? 1200;
  const minShare = opts.minShare ?? 0.002;
  const root = callTree(profile);
  const total = Math.max(1, root.totalUs);
  const boxes: { frame: Frame; x: number; depth: number; w: number }[] = [];
  let maxDepth = 0;
  const layout = (frame: Frame, x: number, depth: number): void => {
    maxDepth = Math.max(maxDepth, depth);
    boxes.push({ frame, x, depth, w: (frame.totalUs / total) * (width - 20) });
    let childX = x;
    for (const child of [...frame.children.values()].sort((a, b) => a.name.localeCompare(b.name) || a.location.localeCompare(b.location))) {
      if (child.totalUs / total >= minShare) layout(child, childX, depth + 1);
      childX += (child.totalUs / total) * (width - 20);
    }
  };
  layout(root, 10, 0);
  const headerPx = opts.subtitle === undefined ? 34 : 50;
  const height = headerPx + (maxDepth + 1) * ROW_PX + 10;
  // Flame orientation: the root at the bottom.
  const placed = boxes.map((b) => box(b.frame, b.x, headerPx + (maxDepth - b.depth) * ROW_PX, b.w, total));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="${FONT_PX}">`,
    `<rect width="100%" height="100%" fill="#fdfdf8"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(opts.title)}</text>`,
    opts.subtitle === undefined ? '' : `<text x="${width / 2}" y="38" text-anchor="middle" fill="#555">${escapeXml(opts.subtitle)}</text>`,
    ...placed,
    '</svg>',
    '',
  ].join('\n');
}

function box(frame: Frame, x: number, y: number, w: number, total: number): string {
  const share = (100 * frame.totalUs) / total;
  const label = frame.location === '' ? frame.name : `${frame.name} ${frame.location}`;
  const tip = `${label}: ${(frame.totalUs / 1000).toFixed(1)} ms, ${share.toFixed(1)}%`;
  const fits = Math.floor((w - 4) / CHAR_PX);
  const text = fits >= 3 ? (label.length <= fits ? label : `${label.slice(0, fits - 2)}..`) : '';
  return (
    `<g><title>${escapeXml(tip)}</title>` +
    `<rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(2)}" height="${ROW_PX - 1}" rx="2" fill="${colour(frame)}"/>` +
    (text === '' ? '' : `<text x="${(x + 3).toFixed(2)}" y="${y + ROW_PX - 5}">${escapeXml(text)}</text>`) +
    '</g>'
  );
}

/** Warm colours for JavaScript (darker for Spool's own code), grey for idle, blue for GC, green for native and Node internals. */
function colour(frame: Frame): string {
  if (frame.name === '(idle)') return '#d8d8d8';
  if (frame.name === '(garbage collector)') return '#8fb8e0';
  if (frame.name === '(program)' || frame.name === 'all') return '#c8c8b0';
  if (frame.location.includes('node_modules/')) return '#9ccf8a';
  if (frame.location.startsWith('dist/') || frame.location.includes('/dist/')) return hashed(frame.name, [228, 120, 60]);
  if (frame.location === '' || frame.location.startsWith('node:')) return '#b6d98f';
  return hashed(frame.name, [240, 175, 80]);
}

function hashed(name: string, [r, g, b]: readonly [number, number, number]): string {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) | 0;
  const jitter = (Math.abs(h) % 40) - 20;
  return `rgb(${clamp(r + jitter)},${clamp(g + jitter)},${clamp(b + jitter / 2)})`;
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('/node_modules/');
  if (i >= 0) return url.slice(i + 1);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1);
  return url.replace(/^file:\/\//, '');
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
