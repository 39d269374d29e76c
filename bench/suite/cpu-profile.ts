/**
 * Summarizes a V8 .cpuprofile (what `node --cpu-prof` writes) into the functions with the most
 * self time. The file holds a call tree (`nodes`, each with a callFrame and child ids) and a
 * sample stream: `samples[i]` is the id of the node on top of the stack at sample i, and
 * `timeDeltas[i]` the µs since the previous sample; sample i is charged timeDeltas[i]. Nodes of
 * one function (same name, script and line) are added together.
 */

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber?: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface FunctionTime {
  readonly functionName: string;
  /** `script:line` (1-based), or empty for V8's own entries ((idle), (garbage collector), ...). */
  readonly location: string;
  readonly selfMs: number;
  readonly percent: number;
}

function shortUrl(url: string): string {
  const i = url.lastIndexOf('/node_modules/');
  if (i >= 0) return url.slice(i + 1);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 1);
  return url.replace(/^file:\/\//, '');
}

export function summarizeProfile(profile: CpuProfile, top = 20): { totalMs: number; functions: FunctionTime[] } {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfUs = new Map<number, number>();
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, deltas[i] ?? 0));
  const byFunction = new Map<string, { functionName: string; location: string; us: number }>();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    totalUs += us;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const location = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${name}\u0000${location}`;
    const entry = byFunction.get(key) ?? { functionName: name, location, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const functions = [...byFunction.values()]
    .sort((a, b) => b.us - a.us || a.functionName.localeCompare(b.functionName))
    .slice(0, top)
    .map((f) => ({ functionName: f.functionName, location: f.location, selfMs: f.us / 1000, percent: totalUs === 0 ? 0 : (100 * f.us) / totalUs }));
  return { totalMs: totalUs / 1000, functions };
}

export function formatProfileSummary(summary: { totalMs: number; functions: readonly FunctionTime[] }): string {
  const lines = [`self time of ${summary.totalMs.toFixed(0)} ms sampled:`, '   self ms      %  function  (location)'];
  for (const f of summary.functions) {
    lines.push(`${f.selfMs.toFixed(1).padStart(9)} ${f.percent.toFixed(1).padStart(6)}  ${f.functionName}${f.location === '' ? '' : `  (${f.location})`}`);
  }
  return lines.join('\n');
}
