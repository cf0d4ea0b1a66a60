import { readFile } from 'node:fs/promises';

/** The parts of V8's `.cpuprofile` format read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled non-idle time, ms, over every profile merged. */
  busyMs: number;
  idleMs: number;
  /** Where the busy time went, by pipeline stage (a sample counts for the nearest frame with a known home). */
  stages: { stage: string; ms: number; share: number }[];
  /** Functions by self time. */
  top: { fn: string; where: string; ms: number; share: number }[];
}

/** Buffer work is charged to its caller (Arrow's string columns, the body's decode, …). */
const BUFFER = /^node:buffer|node:internal\/buffer|node:internal\/encoding/;
const PROCESSOR_STAGE = 'response processor (glue)';

/**
 * Stage of a frame by its script; the first rule that matches wins. Frames without a
 * script (builtins such as JSON.parse, native code, wasm) take their caller's stage.
 */
const STAGES: [RegExp, string][] = [
  [/node_modules\/undici\//, 'HTTP client (undici)'],
  [/node_modules\/parquet-wasm\//, 'Parquet encode (parquet-wasm)'],
  [/node_modules\/(apache-arrow|flatbuffers)\/|adapters\/parquet\.[jt]s/, 'Arrow columns + IPC (apache-arrow, adapters/parquet)'],
  [/^node:zlib|node:internal\/zlib/, 'gzip / gunzip (zlib)'],
  [/^node:crypto|node:internal\/crypto/, 'SHA-256 (crypto)'],
  [/core\/sources\/json-body|adapters\/json-bytes/, 'JSON.parse'],
  [/core\/sources\/|core\/html-entities|core\/timestamps|core\/tables/, 'validate + normalise (core/sources)'],
  [/adapters\/response-processor/, PROCESSOR_STAGE],
  [/adapters\/fs-store|^node:fs|node:internal\/fs/, 'file writes (fs-store, node:fs)'],
  [
    /adapters\/(worker-pool|pool-processor|processor-worker|pool-task)|node:internal\/worker|^node:worker_threads|node:internal\/per_context\/messageport/,
    'worker hand-off (postMessage)',
  ],
  [/core\//, 'pipeline, limiter, stats (core)'],
  [
    /^node:(net|_http|http|stream|events|timers|internal\/(net|stream|streams|http|js_stream|dns|timers|async_hooks|process\/task_queues))/,
    'sockets, streams, timers (node)',
  ],
  [/simulator\//, 'simulator'],
  [/bench\//, 'bench harness'],
  [/^node:/, 'other Node internals'],
];

/** A sample under a module loader (start-up of a thread, a lazy import) is start-up, whatever the leaf. */
const LOADING =
  /node_modules\/tsx\/|node_modules\/esbuild\/|node:internal\/modules|node:internal\/bootstrap|cjs-module-lexer|node:internal\/source_map/;
const LOADING_STAGE = 'module loading (start-up)';

const SPECIAL = new Map([
  ['(garbage collector)', 'garbage collection'],
  ['(program)', 'V8 / native, unattributed'],
]);

export async function readProfile(path: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
}

/** True for a worker of the processing pool (not a module-loader thread). */
export function isPoolWorker(p: CpuProfile): boolean {
  return p.nodes.some((n) => /adapters\/(processor-worker|pool-task)\./.test(n.callFrame.url));
}

/** Merges profiles of one kind (the main thread, or every pool worker) into one summary. */
export function summariseProfiles(profiles: CpuProfile[], topN = 15): ProfileSummary {
  const stageMs = new Map<string, number>();
  const fnMs = new Map<string, { fn: string; where: string; ms: number }>();
  let busyUs = 0;
  let idleUs = 0;
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const stageOf = memoStage(byId, parent);
    for (let i = 0; i < p.samples.length; i++) {
      // A sample stands for the time until the next one.
      const us = p.timeDeltas[i + 1] ?? 0;
      const node = byId.get(p.samples[i]!);
      if (!node || us <= 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') {
        idleUs += us;
        continue;
      }
      busyUs += us;
      const stage = stageOf(node.id);
      stageMs.set(stage, (stageMs.get(stage) ?? 0) + us / 1000);
      const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '(native)';
      const key = `${functionName}@${where}`;
      const f = fnMs.get(key) ?? { fn: functionName || '(anonymous)', where, ms: 0 };
      f.ms += us / 1000;
      fnMs.set(key, f);
    }
  }
  const busyMs = busyUs / 1000;
  const share = (ms: number) => (busyMs > 0 ? round(ms / busyMs, 3) : 0);
  return {
    busyMs: round(busyMs, 1),
    idleMs: round(idleUs / 1000, 1),
    stages: mergeSmall(
      [...stageMs].sort((a, b) => b[1] - a[1]),
      busyMs,
    ).map(([stage, ms]) => ({ stage, ms: round(ms, 1), share: share(ms) })),
    top: [...fnMs.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, topN)
      .map((f) => ({ ...f, ms: round(f.ms, 1), share: share(f.ms) })),
  };
}

function memoStage(byId: Map<number, CpuProfile['nodes'][number]>, parent: Map<number, number>): (id: number) => string {
  const leafStage = new Map<number, string>();
  const loading = new Map<number, boolean>();
  const nearest = (id: number): string => {
    const known = leafStage.get(id);
    if (known !== undefined) return known;
    const { functionName, url } = byId.get(id)!.callFrame;
    const up = parent.get(id);
    let stage = SPECIAL.get(functionName);
    if (stage === undefined && BUFFER.test(url)) {
      const caller = up === undefined ? undefined : nearest(up);
      stage = caller ?? 'Buffer operations';
    }
    if (stage === undefined && url && !url.startsWith('wasm://'))
      stage = STAGES.find(([re]) => re.test(url))?.[1] ?? `other: ${shortUrl(url).split('/')[0]}`;
    stage ??= up === undefined ? 'V8 / native, unattributed' : nearest(up);
    leafStage.set(id, stage);
    return stage;
  };
  const underLoader = (id: number): boolean => {
    const known = loading.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const v = LOADING.test(byId.get(id)!.callFrame.url) || (up !== undefined && underLoader(up));
    loading.set(id, v);
    return v;
  };
  return (id) => (underLoader(id) ? LOADING_STAGE : nearest(id));
}

/** `file:///work/main/dist/adapters/parquet.js` → `adapters/parquet.js`; packages keep their name. */
function shortUrl(url: string): string {
  const [, pkg, path] = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url) ?? [];
  if (pkg !== undefined && path !== undefined) return `${pkg}/${path.split('/').pop()}`;
  const own = /\/(core|adapters|cli|simulator|bench)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url.replace(/^file:\/\//, '');
}

/** Stages under 0.5% of the busy time are summed into one row. */
function mergeSmall(stages: [string, number][], busyMs: number): [string, number][] {
  const big = stages.filter(([, ms]) => ms >= busyMs * 0.005);
  const rest = stages.filter(([, ms]) => ms < busyMs * 0.005);
  const restMs = rest.reduce((n, [, ms]) => n + ms, 0);
  return restMs > 0 ? [...big, [`${rest.length} smaller stages`, restMs]] : big;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
