import { sweepChart, writeChart } from './charts.js';
import { markdownTable, num, textTable } from './text-table.js';
import type { TuneReport } from './tune-result.js';

function stepsTable(r: TuneReport): { headers: string[]; rows: string[][] } {
  return {
    headers: ['C', 'requests', 'wall, s', 'client CPU, s', 'req/s', 'p50, ms', 'p95, ms', '429s', 'failures'],
    rows: r.steps.map((s) => [
      `${s.concurrency}${r.recommended?.concurrency === s.concurrency ? ' ←' : ''}`,
      String(s.requests),
      num(s.wallSeconds, 2),
      num(s.cpuSeconds, 2),
      num(s.requestsPerSecond, 1),
      num(s.latencyMs.p50, 0),
      num(s.latencyMs.p95, 0),
      String(s.throttled429),
      String(s.failures),
    ]),
  };
}

function verdict(r: TuneReport): string {
  if (!r.recommended) return 'no step ran: nothing to recommend';
  const caveat = r.recommended.caveat ? `\ncaveat: ${r.recommended.caveat}` : '';
  return `recommended concurrency: ${r.recommended.concurrency} (${r.recommended.reason})\nrule: ${r.recommended.rule}${caveat}`;
}

export function renderTuneText(r: TuneReport): string {
  const t = stepsTable(r);
  return [textTable(t.headers, t.rows), '', ...(r.stopped ? [r.stopped] : []), verdict(r)].join('\n');
}

export function renderTuneMarkdown(r: TuneReport): string {
  const t = stepsTable(r);
  return (
    [
      '# Concurrency sweep',
      '',
      `${r.startedAt}, ${r.totalSeconds} s. Machine: ${r.machine.cores} cores, Node ${r.machine.node}, load average ${r.machine.loadAverage}.`,
      '',
      ...Object.entries(r.settings).map(([k, v]) => `- ${k}: ${v}`),
      ...r.notes.map((n) => `\n> ${n}`),
      '',
      markdownTable(t.headers, t.rows),
      '',
      ...(r.stopped ? [r.stopped, ''] : []),
      verdict(r).replaceAll('\n', '  \n'),
      '',
      'Each step is a fresh child process running `scrape()` over the same auctions (warm simulator cache), into a fresh data directory.',
      '',
      ...r.charts.map((c) => `![${c}](${c})`),
    ].join('\n') + '\n'
  );
}

export async function tuneCharts(dir: string, r: TuneReport): Promise<string[]> {
  const at = (f: (s: TuneReport['steps'][number]) => number) => r.steps.map((s) => ({ concurrency: s.concurrency, value: f(s) }));
  const mark = r.recommended?.concurrency;
  return [
    await writeChart(
      dir,
      'tune-requests-per-second.svg',
      sweepChart({ title: 'Requests per second by concurrency', rows: at((s) => s.requestsPerSecond), yTitle: 'requests/s', mark }),
    ),
    await writeChart(
      dir,
      'tune-p95-latency.svg',
      sweepChart({ title: 'p95 request latency by concurrency', rows: at((s) => s.latencyMs.p95), yTitle: 'p95 latency, ms', mark }),
    ),
    await writeChart(
      dir,
      'tune-429s.svg',
      sweepChart({ title: '429 answers by concurrency', rows: at((s) => s.throttled429), yTitle: '429s', mark }),
    ),
  ];
}
