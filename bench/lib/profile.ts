import { readFileSync } from 'node:fs';
import path from 'node:path';

// Summary of a V8 .cpuprofile: self time by package (node_modules/<pkg>, src/<area>, node internals, GC) and the
// heaviest functions, plus inclusive time of the packages a sample passes through (a sample counts once for every
// package on its stack). Enough to see what dominates CPU without opening DevTools.

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const ROOT = process.cwd();

export function bucketOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (program), (idle), (root)
    return '(native)';
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? 'internal' : url.slice(5)}`;
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const rel = path.relative(ROOT, file);
  const parts = rel.split(path.sep);
  if (parts[0] === 'src' || parts[0] === 'bench') return parts.slice(0, Math.min(2, parts.length - 1)).join('/') || rel;
  return rel;
}

function describe(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const file = frame.url.startsWith('file://') ? path.relative(ROOT, decodeURIComponent(new URL(frame.url).pathname)) : frame.url;
  return `${name} ${file.replace(/^node_modules\//, '')}:${frame.lineNumber + 1}`;
}

export interface ProfileSummary {
  totalMs: number;
  /** Samples on the JS thread that were neither idle nor the profiler itself. */
  busyMs: number;
  profilerMs: number;
  selfByBucket: Array<[string, number]>;
  inclusiveByBucket: Array<[string, number]>;
  topFunctions: Array<[string, number]>;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));

  const selfByBucket = new Map<string, number>();
  const inclusiveByBucket = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let profilerMs = 0;
  for (const [id, ms] of selfTime) {
    const node = byId.get(id)!;
    total += ms;
    // The profiler's own work (node:inspector, e.g. collecting the profile at stop) is not the IdP's.
    let own = false;
    for (let cursor: number | undefined = id; cursor !== undefined && !own; cursor = parent.get(cursor)) {
      own = byId.get(cursor)!.callFrame.url === 'node:inspector';
    }
    if (own) {
      profilerMs += ms;
      continue;
    }
    if (node.callFrame.functionName === '(idle)') idle += ms;
    const bucket = bucketOf(node.callFrame);
    selfByBucket.set(bucket, (selfByBucket.get(bucket) ?? 0) + ms);
    const fn = describe(node.callFrame);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const b = bucketOf(byId.get(cursor)!.callFrame);
      if (!seen.has(b)) {
        seen.add(b);
        inclusiveByBucket.set(b, (inclusiveByBucket.get(b) ?? 0) + ms);
      }
    }
  }
  const hidden = new Set(['(idle)', '(root)']);
  const sorted = (m: Map<string, number>) => [...m].filter(([k]) => !hidden.has(k)).sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total,
    busyMs: total - idle - profilerMs,
    profilerMs,
    selfByBucket: sorted(selfByBucket).slice(0, top),
    inclusiveByBucket: sorted(inclusiveByBucket).slice(0, top),
    topFunctions: sorted(byFunction).slice(0, top),
  };
}

export function formatProfile(name: string, summary: ProfileSummary, ops: number): string {
  const pct = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1).padStart(5)}%`;
  const perOp = (ms: number) => `${(ms / ops).toFixed(3).padStart(7)} ms/op`;
  const lines = [`  -- ${name}: ${summary.busyMs.toFixed(0)} ms busy in ${ops} ops (${(summary.busyMs / ops).toFixed(3)} ms/op on the JS thread)`];
  lines.push('     self time by package:');
  for (const [k, v] of summary.selfByBucket.slice(0, 10)) lines.push(`       ${pct(v)} ${perOp(v)}  ${k}`);
  lines.push('     inclusive (on the stack) by package:');
  for (const [k, v] of summary.inclusiveByBucket.slice(0, 12)) lines.push(`       ${pct(v)} ${perOp(v)}  ${k}`);
  lines.push('     top functions (self):');
  for (const [k, v] of summary.topFunctions) lines.push(`       ${pct(v)} ${perOp(v)}  ${k}`);
  return lines.join('\n');
}

// `node bench/lib/profile.ts file.cpuprofile [ops]` summarizes a profile written by a bench run.
if (import.meta.main) {
  const [file, ops] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/lib/profile.ts <file.cpuprofile> [ops]');
    process.exit(2);
  }
  console.log(formatProfile(path.basename(file), summarizeProfile(file, 20), Number(ops ?? 1)));
}
