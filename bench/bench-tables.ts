import type { BenchReport, Target } from './bench-report.js';
import type { CompactRun } from './compact.js';
import type { LambdaFigures } from './lambda.js';
import type { LayoutResult } from './layout.js';
import type { MicroResult } from './micro.js';
import type { ProfileSummary } from './profile-summary.js';
import { num, thousands } from './text-table.js';

/** A table as headers and rows of text, rendered by the terminal and by Markdown alike. */
export interface Table {
  headers: string[];
  rows: string[][];
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** One row per cold run: the real command in a fresh process, what the user gets. */
export function coldTable(r: BenchReport): Table {
  return {
    headers: [
      'run',
      'auctions',
      'req/s',
      'of baseline',
      'over naive',
      'wall, s',
      'CPU, s',
      'CPU/auction, ms',
      'cores used',
      'I/O share',
      'loop delay p99 / max, ms',
      'first request, s',
      'per-core busy',
      'peak RSS, MB',
      'simulator CPU, s',
      'other CPU, s',
    ],
    rows: r.cold.map((f) => [
      f.mode,
      thousands(f.auctions),
      num(f.requestsPerSecond, 0),
      f.ofBaseline === null ? '—' : `${f.ofBaseline.toFixed(2)}×`,
      f.overNaive === null ? '—' : `${f.overNaive.toFixed(1)}×`,
      num(f.wallSeconds, 2),
      num(f.cpuSeconds, 2),
      num(f.cpuMsPerAuction, 2),
      num(f.coresUsed, 2),
      pct(Math.max(0, 1 - f.coresUsed)),
      f.eventLoopDelayMs ? `${num(f.eventLoopDelayMs.p99, 1)} / ${num(f.eventLoopDelayMs.max, 0)}` : '—',
      f.firstRequestSeconds === null ? '—' : num(f.firstRequestSeconds, 2),
      f.coreBusy.map(pct).join(' / '),
      String(f.peakRssMb),
      num(f.serverCpuSeconds, 2),
      num(f.otherCpuSeconds, 2),
    ]),
  };
}

/** Each cold run's command line and what did the processing. */
export function commandsTable(r: BenchReport): Table {
  return {
    headers: ['run', 'command (fresh process)', 'processing'],
    rows: r.cold.map((f) => [`${f.mode} ${f.auctions}`, f.command, f.processing]),
  };
}

/** The Lambda handlers' bundles: cold start, first invocation, warm invocations. */
export function lambdaTable(results: LambdaFigures[]): Table {
  const t = (x: { ms: number; cpuMs: number }) => `${num(x.ms, 1)} / ${num(x.cpuMs, 1)}`;
  return {
    headers: [
      'handler',
      'one invocation',
      'bundle, KiB',
      'cold start: load + init, ms / CPU-ms',
      'first invocation, ms / CPU-ms',
      'warm, mean ms / CPU-ms',
      'warm invocations',
      'peak RSS, MB',
    ],
    rows: results.map((l) => [
      l.fn,
      l.unit,
      thousands(l.bundleKb),
      t(l.init),
      t(l.first),
      t(l.warm),
      String(l.warm.invocations),
      String(l.peakRssMb),
    ]),
  };
}

export function scalingTable(r: BenchReport): Table | null {
  const s = r.scaling;
  if (!s) return null;
  return {
    headers: [
      'workers',
      'bodies',
      'item rows',
      'seconds',
      'CPU, s',
      'item rows/s',
      'JSON MB/s',
      "other processes' CPU, s",
      'every batch, rows/s',
    ],
    rows: s.runs.map((x) => [
      String(x.workers),
      String(x.bodies),
      thousands(x.itemRows),
      num(x.seconds, 2),
      num(x.cpuSeconds, 2),
      thousands(x.itemRowsPerSecond),
      num(x.mbPerSecond, 1),
      num(x.otherCpuSeconds, 2),
      x.batches.map(thousands).join(', '),
    ]),
  };
}

export function scalingSummary(r: BenchReport): string {
  const s = r.scaling;
  if (!s) return '';
  const last = s.runs[s.runs.length - 1];
  return `speed-up ${s.speedup}× on ${last?.workers} workers, parallel efficiency ${pct(s.efficiency)} (speed-up ÷ workers)${s.allAccepted ? '' : '; NOT every body was accepted'}`;
}

export function microTable(results: MicroResult[]): Table {
  return {
    headers: ['micro-benchmark', 'one op', 'ops/s', 'time per op', '±', 'throughput'],
    rows: results.map((m) => [
      m.name,
      m.op,
      m.opsPerSecond >= 100 ? thousands(m.opsPerSecond) : num(m.opsPerSecond, 1),
      formatMs(m.msPerOp),
      `${m.rme}%`,
      m.throughput ?? '',
    ]),
  };
}

export function layoutTable(results: LayoutResult[]): Table {
  return {
    headers: ['layout', 'produced by', 'normaliser invocations', 'files', 'MB', 'encode, ms', 'scan all items, ms', 'one auction, ms'],
    rows: results.map((l) => [
      l.layout,
      l.trigger,
      thousands(l.normaliserInvocations),
      thousands(l.files),
      num(l.megabytes, 1),
      num(l.encodeMs, 0),
      num(l.scanAllMs, 1),
      num(l.pointLookupMs, 1),
    ]),
  };
}

export function compactTable(runs: CompactRun[]): Table {
  return {
    headers: ['partition of', 'files', 'rows', 'parts written', 'wall, s', 'CPU, s', 'CPU per row, µs', 'peak RSS, MB'],
    rows: runs.map((c) => [
      c.shape,
      thousands(c.files),
      thousands(c.rows),
      String(c.parts),
      num(c.wallSeconds, 2),
      num(c.cpuSeconds, 2),
      num(c.cpuMicrosPerRow, 1),
      String(c.peakRssMb),
    ]),
  };
}

export function targetsTable(targets: Target[]): Table {
  return {
    headers: ['target', 'wanted', 'measured', 'met'],
    rows: targets.map((t) => [
      t.name,
      t.target,
      t.measured,
      `${t.met === null ? 'not measured' : t.met ? 'yes' : 'NO'}${t.caveat ? ` (${t.caveat}: indicative)` : ''}`,
    ]),
  };
}

export function stagesTable(title: string, s: ProfileSummary): Table {
  return { headers: [title, 'ms', 'share'], rows: s.stages.map((x) => [x.stage, num(x.ms, 0), pct(x.share)]) };
}

export function topFunctionsTable(s: ProfileSummary, n = 12): Table {
  return {
    headers: ['function (self time)', 'where', 'ms', 'share'],
    rows: s.top.slice(0, n).map((f) => [f.fn, f.where, num(f.ms, 0), pct(f.share)]),
  };
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(2)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}
