import type { BenchReport } from './bench-report.js';
import { barChart, coreTimeline, groupedBarChart, writeChart } from './charts.js';

/** The bench's SVG charts, written into `dir`; returns their file names. */
export async function benchCharts(dir: string, r: BenchReport): Promise<string[]> {
  const files: string[] = [];
  const name = (f: BenchReport['cold'][number]) => `${f.mode} ${f.auctions}`;
  if (r.cold.length > 0) {
    files.push(
      await writeChart(
        dir,
        'requests-per-second.svg',
        barChart({
          title: 'Requests per second, cold runs (fresh process, as typed)',
          rows: r.cold.map((f) => ({
            run: name(f),
            rps: f.requestsPerSecond,
            label: `${f.requestsPerSecond.toFixed(0)}${f.ofBaseline === null ? '' : ` (${f.ofBaseline.toFixed(2)}×)`}`,
          })),
          x: 'run',
          y: 'rps',
          yTitle: 'requests/s (× the bare baseline)',
          label: 'label',
          targets: [],
        }),
      ),
      await writeChart(
        dir,
        'wall-vs-cpu.svg',
        groupedBarChart({
          title: 'Wall time vs CPU time per cold run',
          rows: r.cold.flatMap((f) => [
            { category: name(f), series: 'wall time', value: f.wallSeconds },
            { category: name(f), series: 'client CPU (all threads)', value: f.cpuSeconds },
            ...(f.serverCpuSeconds === null ? [] : [{ category: name(f), series: 'simulator CPU', value: f.serverCpuSeconds }]),
          ]),
          yTitle: 'seconds',
        }),
      ),
    );
  }
  const timelines = [
    ...r.cold.filter((f) => f.mode !== 'naive').map((f) => ({ run: name(f), cores: f.cores })),
    ...(r.scaling ? [{ run: `warm pool (${r.scaling.runs.map((x) => x.workers).join(' then ')} workers)`, cores: r.scaling.cores }] : []),
  ];
  if (timelines.length > 0) {
    files.push(
      await writeChart(
        dir,
        'cpu-per-core.svg',
        coreTimeline({
          title: 'Busy share per core over each run (machine-wide: client + simulator)',
          runs: timelines.map((t) => t.run),
          rows: timelines.flatMap((t) => t.cores.samples.map((s) => ({ run: t.run, t: s.t, core: `cpu${s.core}`, busy: s.busy }))),
        }),
      ),
    );
  }
  if (r.scaling) {
    files.push(
      await writeChart(
        dir,
        'normaliser-scaling.svg',
        barChart({
          title: 'Warm pool: item rows/s by worker threads (steady state)',
          rows: r.scaling.runs.map((x) => ({
            workers: `${x.workers} worker${x.workers === 1 ? '' : 's'}`,
            rate: x.itemRowsPerSecond,
            label: x.itemRowsPerSecond.toLocaleString('en-US'),
          })),
          x: 'workers',
          y: 'rate',
          yTitle: 'item rows/s',
          label: 'label',
          targets: [{ value: 40_000, label: 'target 40,000 rows/s' }],
        }),
      ),
    );
  }
  return files;
}
