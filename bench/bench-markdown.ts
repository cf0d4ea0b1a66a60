import type { BenchReport } from './bench-report.js';
import { fetchStageTable, layoutTable, microTable, runsTable, scalingSummary, scalingTable, stagesTable, targetsTable, topFunctionsTable, type Table } from './bench-tables.js';
import { markdownTable } from './text-table.js';

const md = (t: Table) => markdownTable(t.headers, t.rows);

/** report.md: the figures, what they mean, the charts and (with --profile) where the CPU went. */
export function renderBenchMarkdown(r: BenchReport): string {
  const m = r.machine;
  const out: string[] = [
    '# Benchmark report',
    '',
    `${r.startedAt} → ${r.finishedAt} (${r.totalSeconds} s). Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB, ${m.platform}, Node ${m.node}; load average ${m.loadAverage} at the start, ${Math.round(m.busyBefore * 100)}% busy in the second before.`,
    '',
    ...Object.entries(r.settings).map(([k, v]) => `- ${k}: ${v}`),
  ];
  if (r.warmup) out.push(`- warm-up pass: ${r.warmup.requests} requests in ${r.warmup.wallSeconds} s (cold simulator: bodies generated on first request)`);
  for (const n of r.notes) out.push('', `> ${n}`);
  out.push('', '## Targets', '', md(targetsTable(r.targets)));
  if (r.modes.length > 0 || r.fetchStage) {
    out.push('', '## Runs', '', md(runsTable(r)), '', MEANINGS);
  }
  const fetch = fetchStageTable(r);
  if (fetch) out.push('', '## Fetch stage only', '', FETCH_STAGE, '', md(fetch));
  const scaling = scalingTable(r);
  if (scaling) out.push('', '## Normaliser scaling', '', SCALING, '', md(scaling), '', scalingSummary(r));
  if (r.layout) out.push('', '## Parquet file layout by normaliser trigger', '', 'The same auctions written one file per raw object (S3 event per object), per batch (SQS with a batching window), and per day (compacted); encode time and DuckDB query time (median of 5) over each.', '', md(layoutTable(r.layout)));
  if (r.micro) out.push('', '## Micro-benchmarks', '', 'tinybench, in the bench process, one thread; mean time per operation with its relative margin of error.', '', md(microTable(r.micro)));
  if (r.charts.length > 0) out.push('', '## Charts', '', ...r.charts.map((c) => `![${c}](${c})`));
  if (r.profiles.length > 0) {
    out.push('', '## Where the CPU goes (--profile)', '', PROFILES);
    for (const p of r.profiles) {
      out.push('', `### ${p.run}`, '', `Files: ${p.files.map((f) => `\`${f}\``).join(', ')}`, '', md(stagesTable(`main thread, ${Math.round(p.main.busyMs)} ms busy`, p.main)), '', md(topFunctionsTable(p.main)));
      if (p.workers) out.push('', md(stagesTable(`pool workers (merged), ${Math.round(p.workers.busyMs)} ms busy`, p.workers)), '', md(topFunctionsTable(p.workers)));
    }
  }
  return out.join('\n') + '\n';
}

const MEANINGS = `What the rows mean:
- **wall time**: from the first request to the last write, in the child process that ran the mode. Before its clock
  starts, that process runs its first auctions once, untimed, into a directory of its own (same settings; a pool
  made for the mode serves both): V8 compiles hot JavaScript and WebAssembly in the background during a process's
  first second or so, a cost a long run pays once. **cold process** is the CPU per auction of that first pass.
- **client CPU**: \`process.cpuUsage()\` of that process (user + system, every thread, workers included); the simulator runs in another process and its CPU is the next row (from /proc).
- **of which kernel**: system time's share of that CPU (syscalls: sockets, file writes, page faults).
- **client CPU per auction**: that CPU ÷ auctions fetched.
- **I/O share**: 1 − client CPU ÷ (wall × cores): the share of the machine's core-seconds the client spent waiting.
- **requests/s**: every HTTP request (an auction with more than 1,000 lots takes two) ÷ wall time; **speed-up** is that over the naive mode's.
- **MB/s**: bytes received as sent (gzip); **rows/s**: rows written to Parquet, all tables, and the \`maxsold_items\` rows alone.
- **latency**: time to the complete response body per request, p50 and p95.
- **peak RSS**: the child process's \`maxRSS\` over its whole life (start-up included).
- **per-core busy**: mean of \`os.cpus()\` deltas sampled every 200 ms over the run, machine-wide: it includes the simulator.
- **other processes' CPU**: machine-wide busy core-seconds over the run less the client's and the simulator's CPU: work
  from anything else on the machine. Above a few tenths of a second the run competed for the cores; repeat it.`;

const FETCH_STAGE = `Request, gunzip, SHA-256, one \`JSON.parse\`, validation, raw object + metadata written; no rows and no
Parquet (\`InlineProcessor\` with \`normalise: false\`, the fetch Lambda's composition). The issue's measure
is client CPU per 1,000 auction fetches.`;

const SCALING = `The same pre-generated gzipped auction bodies through \`PoolProcessor\` (gunzip, SHA-256, parse, validate,
rows, Arrow, Parquet; nothing written to disk) with one worker and with one per core, after a warm-up
batch. Parallel efficiency = speed-up ÷ workers.`;

const PROFILES = `Main thread: the inspector's CPU profile of the timed section only. Pool workers: \`--cpu-prof\` per
thread (their start-up included), merged. A sample counts for the stage of the nearest frame with a known
home: \`JSON.parse\` is charged to its caller, a wasm frame to the package that called it. Profiling costs
time itself: figures from a profiled run are a little slower. Open a \`.cpuprofile\` in Chrome DevTools
(Performance → Load profile) or VS Code.`;
