import type { BenchReport } from './bench-report.js';
import { barChart, coreTimeline, groupedBarChart, writeChart } from './charts.js';

/** The bench's SVG charts, written into `dir`; returns their file names. */
export async function benchCharts(dir: string, r: BenchReport): Promise<string[]> {
  const files: string[] = [];
  if (r.modes.length > 0) {
    files.push(
      await writeChart(dir, 'requests-per-second.svg', barChart({
        title: `Requests per second, ${r.settings.auctions} auctions`,
        rows: r.modes.map((m) => ({ mode: `${m.mode} (C=${m.concurrency}${m.workers ? `, ${m.workers} workers` : ''})`, rps: m.requestsPerSecond, label: `${m.requestsPerSecond.toFixed(0)}${m.speedup ? ` (${m.speedup}×)` : ''}` })),
        x: 'mode',
        y: 'rps',
        yTitle: 'requests/s',
        label: 'label',
        targets: naiveTargets(r),
      })),
      await writeChart(dir, 'wall-vs-cpu.svg', groupedBarChart({
        title: 'Wall time vs CPU time per mode',
        rows: r.modes.flatMap((m) => [
          { category: m.mode, series: 'wall time', value: m.wallSeconds },
          { category: m.mode, series: 'client CPU (all threads)', value: m.cpuSeconds },
          ...(m.serverCpuSeconds === null ? [] : [{ category: m.mode, series: 'simulator CPU', value: m.serverCpuSeconds }]),
        ]),
        yTitle: 'seconds',
      })),
    );
  }
  const timelines = [
    ...r.modes.map((m) => ({ run: `${m.mode} (C=${m.concurrency}${m.workers ? `, ${m.workers} workers` : ''})`, cores: m.cores })),
    ...(r.scaling ? [{ run: `normaliser scaling (${r.scaling.runs.map((x) => x.workers).join(' then ')} workers)`, cores: r.scaling.cores }] : []),
  ];
  if (timelines.length > 0) {
    files.push(
      await writeChart(dir, 'cpu-per-core.svg', coreTimeline({
        title: 'Busy share per core over each run (machine-wide: client + simulator)',
        runs: timelines.map((t) => t.run),
        rows: timelines.flatMap((t) => t.cores.samples.map((s) => ({ run: t.run, t: s.t, core: `cpu${s.core}`, busy: s.busy }))),
      })),
    );
  }
  if (r.scaling) {
    files.push(
      await writeChart(dir, 'normaliser-scaling.svg', barChart({
        title: 'Normalisation + Parquet: item rows/s by worker threads',
        rows: r.scaling.runs.map((x) => ({ workers: `${x.workers} worker${x.workers === 1 ? '' : 's'}`, rate: x.itemRowsPerSecond, label: x.itemRowsPerSecond.toLocaleString('en-US') })),
        x: 'workers',
        y: 'rate',
        yTitle: 'item rows/s',
        label: 'label',
        targets: [{ value: 40_000, label: 'target 40,000 rows/s' }],
      })),
    );
  }
  return files;
}

/** The issue's speed-up targets as req/s lines: 15× and 30× the naive mode. */
function naiveTargets(r: BenchReport): { value: number; label: string }[] {
  const naive = r.modes.find((m) => m.mode === 'naive');
  if (!naive) return [];
  return [15, 30].map((x) => ({ value: naive.requestsPerSecond * x, label: `target ${x}× naive` }));
}
