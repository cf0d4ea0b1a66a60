import { join } from 'node:path';
import type { BenchReport } from './bench-report.js';
import {
  coldTable,
  compactTable,
  lambdaTable,
  layoutTable,
  microTable,
  scalingSummary,
  scalingTable,
  targetsTable,
  type Table,
} from './bench-tables.js';
import { textTable } from './text-table.js';

const text = (t: Table) => textTable(t.headers, t.rows);

/** The bench's result on the terminal: the tables, the targets, where the files are. */
export function printBench(r: BenchReport, dir: string): void {
  const out: string[] = [''];
  if (r.cold.length > 0) out.push('cold runs: the commands as typed, each in a fresh process', text(coldTable(r)), '');
  if (r.helpCpuSeconds !== null) out.push(`scraper --help: ${r.helpCpuSeconds.toFixed(2)} CPU-s`, '');
  const scaling = scalingTable(r);
  if (scaling)
    out.push('warm (steady state, not a run): the processing pool on pre-generated bodies', text(scaling), scalingSummary(r), '');
  if (r.lambda) out.push('the Lambda handlers as bundled, each in a fresh process (S3 on this machine)', text(lambdaTable(r.lambda)), '');
  if (r.micro) out.push(text(microTable(r.micro)), '');
  if (r.layout) out.push(text(layoutTable(r.layout)), '');
  if (r.compact) out.push(text(compactTable(r.compact)), '');
  const measured = r.targets.filter((t) => t.met !== null);
  if (measured.length > 0) out.push(text(targetsTable(measured)), '');
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(
    `machine: ${r.machine.cores} cores, Node ${r.machine.node}, load average ${r.machine.loadAverage} and ${Math.round(r.machine.busyBefore * 100)}% busy at the start; ${r.totalSeconds} s in all`,
  );
  out.push(`report: ${join(dir, 'report.md')}, ${join(dir, 'report.json')}; charts: ${r.charts.join(', ') || 'none'}`);
  if (r.profiles.length > 0)
    out.push(`profiles: ${r.profiles.flatMap((p) => p.files).join(', ')} (open in Chrome DevTools; summary in report.md)`);
  process.stdout.write(out.join('\n') + '\n');
}
