import type { BenchReport, RunFigures, Target } from './bench-report.js';
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

/** One column per run (modes, then the fetch stage): the rows are the measures. */
export function runsTable(r: BenchReport): Table {
  const runs: (RunFigures & { speedup?: number | null })[] = [...r.modes, ...(r.fetchStage ? [r.fetchStage] : [])];
  const line = (label: string, f: (x: RunFigures & { speedup?: number | null }) => string): string[] => [label, ...runs.map(f)];
  return {
    headers: ['', ...runs.map((x) => x.name)],
    rows: [
      line('concurrency C', (x) => String(x.concurrency)),
      line('processing', (x) => (x.name === 'fetch stage' ? 'validate only, inline' : x.name === 'naive' ? 'inline, one by one' : x.workers === 0 ? 'inline' : `${x.workers} workers`)),
      line('requests', (x) => `${x.requests}${x.complete ? '' : ' (incomplete)'}`),
      line('wall time, s', (x) => num(x.wallSeconds, 2)),
      line('client CPU (user+sys), s', (x) => num(x.cpuSeconds, 2)),
      line('  of which kernel (sys)', (x) => pct(x.systemShare)),
      line('client CPU per auction, ms', (x) => num(x.cpuMsPerAuction, 2)),
      line('  cold process (untimed first run), ms', (x) => (x.coldStart ? `${num(x.coldStart.cpuMsPerAuction, 2)} (${x.coldStart.auctions})` : '—')),
      line('simulator CPU, s', (x) => num(x.serverCpuSeconds, 2)),
      line('I/O share', (x) => pct(x.ioShare)),
      line('requests/s', (x) => num(x.requestsPerSecond, 1)),
      line('speed-up over naive (req/s)', (x) => (x.speedup ? `${x.speedup.toFixed(1)}×` : '—')),
      line('MB/s received (gzip)', (x) => num(x.mbPerSecond, 2)),
      line('rows/s (all tables)', (x) => thousands(x.rowsPerSecond)),
      line('item rows/s', (x) => thousands(x.itemRowsPerSecond)),
      line('latency p50 / p95, ms', (x) => `${num(x.latencyMs.p50, 0)} / ${num(x.latencyMs.p95, 0)}`),
      line('peak RSS, MB', (x) => String(x.peakRssMb)),
      line('per-core busy (mean)', (x) => x.coreBusy.map(pct).join(' / ')),
      line('other processes\' CPU, s', (x) => num(x.otherCpuSeconds, 2)),
      line('429s', (x) => String(x.throttled429)),
      line('failures', (x) => String(x.failures)),
    ],
  };
}

export function fetchStageTable(r: BenchReport): Table | null {
  const f = r.fetchStage;
  if (!f) return null;
  return {
    headers: ['fetch stage only', 'value'],
    rows: [
      ['auctions fetched (requests)', `${f.auctions} (${f.requests})`],
      ['client CPU, s', num(f.cpuSeconds, 2)],
      ['client CPU per 1,000 auction fetches, s', num(f.cpuSecondsPer1000Fetches, 2)],
      ['client CPU per 1,000 requests, s', num(f.cpuSecondsPer1000Requests, 2)],
      ['requests/s at C=' + f.concurrency, num(f.requestsPerSecond, 1)],
    ],
  };
}

export function scalingTable(r: BenchReport): Table | null {
  const s = r.scaling;
  if (!s) return null;
  return {
    headers: ['workers', 'bodies', 'item rows', 'seconds', 'CPU, s', 'item rows/s', 'JSON MB/s', 'other processes\' CPU, s', 'every batch, rows/s'],
    rows: s.runs.map((x) => [
      String(x.workers), String(x.bodies), thousands(x.itemRows), num(x.seconds, 2), num(x.cpuSeconds, 2), thousands(x.itemRowsPerSecond), num(x.mbPerSecond, 1), num(x.otherCpuSeconds, 2),
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
    rows: results.map((m) => [m.name, m.op, m.opsPerSecond >= 100 ? thousands(m.opsPerSecond) : num(m.opsPerSecond, 1), formatMs(m.msPerOp), `${m.rme}%`, m.throughput ?? '']),
  };
}

export function layoutTable(results: LayoutResult[]): Table {
  return {
    headers: ['layout', 'produced by', 'normaliser invocations', 'files', 'MB', 'encode, ms', 'scan all items, ms', 'one auction, ms'],
    rows: results.map((l) => [l.layout, l.trigger, thousands(l.normaliserInvocations), thousands(l.files), num(l.megabytes, 1), num(l.encodeMs, 0), num(l.scanAllMs, 1), num(l.pointLookupMs, 1)]),
  };
}

export function targetsTable(targets: Target[]): Table {
  return {
    headers: ['target (issue 6)', 'wanted', 'measured', 'met'],
    rows: targets.map((t) => [t.name, t.target, t.measured, `${t.met === null ? 'not measured' : t.met ? 'yes' : 'NO'}${t.caveat ? ` (${t.caveat}: indicative)` : ''}`]),
  };
}

export function stagesTable(title: string, s: ProfileSummary): Table {
  return { headers: [title, 'ms', 'share'], rows: s.stages.map((x) => [x.stage, num(x.ms, 0), pct(x.share)]) };
}

export function topFunctionsTable(s: ProfileSummary, n = 12): Table {
  return { headers: ['function (self time)', 'where', 'ms', 'share'], rows: s.top.slice(0, n).map((f) => [f.fn, f.where, num(f.ms, 0), pct(f.share)]) };
}

function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(2)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}
