import type { BenchReport } from './bench-report.js';
import {
  coldTable,
  commandsTable,
  lambdaTable,
  compactTable,
  layoutTable,
  microTable,
  scalingSummary,
  scalingTable,
  stagesTable,
  targetsTable,
  topFunctionsTable,
  type Table,
} from './bench-tables.js';
import { COLD_MODE_DOC, COLD_MODES } from './cold.js';
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
  for (const n of r.notes) out.push('', `> ${n}`);
  out.push('', '## Targets', '', md(targetsTable(r.targets)));
  if (r.cold.length > 0) {
    out.push(
      '',
      '## Cold runs: the commands as typed, each in a fresh process',
      '',
      md(coldTable(r)),
      '',
      ...COLD_MODES.map((m) => `- **${m}**: ${COLD_MODE_DOC[m]}`),
      '',
      MEANINGS,
      '',
      md(commandsTable(r)),
    );
    if (r.helpCpuSeconds !== null)
      out.push('', `\`scraper --help\` in a fresh process: ${r.helpCpuSeconds.toFixed(2)} CPU-s (median of 3).`);
  }
  const scaling = scalingTable(r);
  if (scaling) out.push('', '## Warm: the processing pool at steady state', '', SCALING, '', md(scaling), '', scalingSummary(r));
  if (r.lambda) out.push('', '## The Lambda handlers, as bundled', '', LAMBDA, '', md(lambdaTable(r.lambda)));
  if (r.layout)
    out.push(
      '',
      '## Parquet file layout by normaliser trigger',
      '',
      'The same auctions written one file per raw object (S3 event per object), per batch (SQS with a batching window), and per day (compacted); encode time and DuckDB query time (median of 5) over each.',
      '',
      md(layoutTable(r.layout)),
    );
  if (r.compact)
    out.push(
      '',
      '## Compaction',
      '',
      '`scraper compact --all` in a fresh process (CPU and peak RSS as it reports them, start-up included) on one partition of per-object files: auctions (two tables, ~100 items of long text each) and bid histories (one to fifteen bids each), each at a size and at four times it. Work that grows with the rows keeps the CPU per row flat.',
      '',
      md(compactTable(r.compact)),
    );
  if (r.micro)
    out.push(
      '',
      '## Micro-benchmarks',
      '',
      'tinybench, in the bench process, one thread; mean time per operation with its relative margin of error.',
      '',
      md(microTable(r.micro)),
    );
  if (r.charts.length > 0) out.push('', '## Charts', '', ...r.charts.map((c) => `![${c}](${c})`));
  if (r.profiles.length > 0) {
    out.push('', '## Where the CPU goes (--profile)', '', PROFILES);
    for (const p of r.profiles) {
      out.push(
        '',
        `### ${p.run}`,
        '',
        `Files: ${p.files.map((f) => `\`${f}\``).join(', ')}`,
        '',
        md(stagesTable(`main thread, ${Math.round(p.main.busyMs)} ms busy`, p.main)),
        '',
        md(topFunctionsTable(p.main)),
      );
      if (p.workers)
        out.push(
          '',
          md(stagesTable(`pool workers (merged), ${Math.round(p.workers.busyMs)} ms busy`, p.workers)),
          '',
          md(topFunctionsTable(p.workers)),
        );
    }
  }
  return out.join('\n') + '\n';
}

const MEANINGS = `What the columns mean:
- **req/s**: every HTTP request (an auction with more than 1,000 lots takes two) ÷ the wall time of the whole
  process, from spawn to exit: start-up and the end included, as a user waits for it. **of baseline**: that over
  the bare baseline's req/s at the same size; **over naive**: over the naive loop's.
- **CPU**: what the process reports of itself at its end, \`process.cpuUsage()\` since it started: every thread
  (pool workers, V8's compiler and GC threads), module loading and WebAssembly compilation included. The
  simulator runs in another process; its CPU is a column of its own (from /proc). **cores used** = CPU ÷ wall.
  **I/O share** = 1 − cores used, at least 0: the share of the wall time the process spent waiting rather than
  computing. High, overlapping requests is the lever; 0 (a core's worth of CPU or more), the cores are.
- **loop delay**: \`perf_hooks.monitorEventLoopDelay\` over the run, p99 and max: how late the main thread got to
  its timers and I/O (a 429 read late is a request sent late).
- **first request**: when the first request left, counted from the process start.
- **per-core busy**: mean of \`os.cpus()\` deltas sampled every 200 ms over the run, machine-wide: it includes the
  simulator. **other CPU**: machine-wide busy core-seconds less the client's and the simulator's: anything else
  running. Above a few tenths of a second the run competed for the cores; repeat it.`;

const SCALING = `Labelled warm: this is not what a run gets. The same pre-generated gzipped auction bodies through
\`PoolProcessor\` (gunzip, SHA-256, parse, validate, rows, one Parquet file per table and the raw object, written
to a scratch directory) with one worker and with one per core, each pool first warmed with untimed passes, the
best of five batches counting. Parallel efficiency = speed-up ÷ workers.`;

const LAMBDA = `Each handler's esbuild bundle, built with the stack's own options (\`cdk/bundling.ts\`, parquet-wasm's
.wasm beside it), run in a fresh process as a cold Lambda container would be: loading the bundle (its top level,
the SDK clients, WebAssembly), then the first invocation, then warm ones. S3 and SQS are an emulator on this machine
(fauxqs) and the APIs the simulator (20 ms ± 5 ms), so in AWS each invocation also waits for its S3 round trips.`;

const PROFILES = `Every thread of each cold run, \`--cpu-prof\` from its start to its end; the pool workers merged. A sample counts for the stage of the nearest frame with a known
home: \`JSON.parse\` is charged to its caller, a wasm frame to the package that called it. Profiling costs
time itself: figures from a profiled run are a little slower. Open a \`.cpuprofile\` in Chrome DevTools
(Performance → Load profile) or VS Code.`;
