import { OUTCOMES, type Outcome, type RunStats, type WorkKind } from './run-stats.js';

export interface RunReport {
  command: string;
  startedAt: string;
  finishedAt: string;
  /** Every planned item reached an outcome (false after an interrupt). */
  complete: boolean;
  /** Why the run stopped early, when it did. */
  stopReason?: string;
  settings: Record<string, string | number | boolean>;
  planned: Record<WorkKind, number> & { total: number };
  outcomes: Record<Outcome, number>;
  outcomesByKind: Record<WorkKind, Record<Outcome, number>>;
  unfinished: number;
  /** Items the command asked for that a run stopped early never reached (absent when the command cannot count them ahead). */
  notStarted?: number;
  requests: number;
  retries: number;
  throttledHonoured: number;
  pageRegrows: number;
  /** Redirects followed within an API's origin. */
  redirectsFollowed: number;
  peakRequestsInFlight: number;
  bytesReceived: number;
  bytesStored: number;
  tableFiles: number;
  rows: Record<string, number>;
  wallSeconds: number;
  cpuSeconds: number;
  /** The whole process until the report, start-up included (absent where no process is the unit, as in a Lambda). */
  process?: ProcessFigures;
  /** How late the event loop ran its timers during the run: a busy main thread reads responses (and 429s) late. */
  eventLoopDelayMs?: { p50: number; p99: number; max: number };
  /** Cores the process could use. */
  cores: number;
  /** Share of the available core-seconds spent waiting rather than computing: 1 − cpu / (wall × cores). */
  ioShare: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number };
  anomalies: Record<string, number>;
  failureReasons: Record<string, number>;
  missingIds: string[];
  /** Redirected items, with where to. */
  redirectedIds: string[];
  quarantinedIds: string[];
}

export interface ProcessFigures {
  /** CPU of every thread since the process started. */
  cpuSeconds: number;
  uptimeSeconds: number;
  /** When the first request went out, counted from the process start. */
  firstRequestSeconds?: number;
  peakRssMb: number;
}

export interface ReportTiming {
  command: string;
  startedAt: number;
  finishedAt: number;
  cpuSeconds: number;
  process?: ProcessFigures;
  eventLoopDelayMs?: { p50: number; p99: number; max: number };
  cores: number;
  settings: Record<string, string | number | boolean>;
  /** Items the command's plan holds (bid histories found on the way not counted), when known ahead. */
  expected?: number;
  /** Items of the plan the run started. */
  taken?: number;
}

export function buildReport(stats: RunStats, t: ReportTiming): RunReport {
  const wallSeconds = (t.finishedAt - t.startedAt) / 1000;
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, stats.total(o)])) as Record<Outcome, number>;
  const total = stats.totalPlanned();
  const unfinished = total - stats.totalFinished();
  return {
    command: t.command,
    startedAt: new Date(t.startedAt).toISOString(),
    finishedAt: new Date(t.finishedAt).toISOString(),
    complete: unfinished === 0 && stats.stopReason === undefined,
    stopReason: stats.stopReason,
    settings: t.settings,
    planned: { ...stats.planned, total },
    outcomes,
    outcomesByKind: structuredClone(stats.outcomes),
    unfinished,
    // A plan is read as the run goes: what a stopped run never reached was never planned.
    ...(t.expected !== undefined && t.taken !== undefined && stats.stopReason !== undefined
      ? { notStarted: Math.max(0, t.expected - t.taken) }
      : {}),
    requests: stats.requests,
    retries: stats.retries,
    throttledHonoured: stats.throttled,
    pageRegrows: stats.pageRegrows,
    redirectsFollowed: stats.redirectsFollowed,
    peakRequestsInFlight: stats.peakInFlight,
    bytesReceived: stats.bytesReceived,
    bytesStored: stats.bytesStored,
    tableFiles: stats.tableFiles,
    rows: { ...stats.rows },
    wallSeconds: round(wallSeconds, 3),
    cpuSeconds: round(t.cpuSeconds, 3),
    process: t.process && {
      cpuSeconds: round(t.process.cpuSeconds, 3),
      uptimeSeconds: round(t.process.uptimeSeconds, 3),
      firstRequestSeconds: t.process.firstRequestSeconds === undefined ? undefined : round(t.process.firstRequestSeconds, 3),
      peakRssMb: Math.round(t.process.peakRssMb),
    },
    eventLoopDelayMs: t.eventLoopDelayMs && {
      p50: round(t.eventLoopDelayMs.p50, 1),
      p99: round(t.eventLoopDelayMs.p99, 1),
      max: round(t.eventLoopDelayMs.max, 1),
    },
    cores: t.cores,
    ioShare: wallSeconds > 0 ? round(Math.max(0, 1 - t.cpuSeconds / (wallSeconds * t.cores)), 3) : 0,
    requestsPerSecond: wallSeconds > 0 ? round(stats.requests / wallSeconds, 1) : 0,
    latencyMs: { p50: round(stats.latencyPercentile(50), 1), p95: round(stats.latencyPercentile(95), 1) },
    anomalies: { ...stats.anomalies },
    failureReasons: Object.fromEntries(failureKinds(stats.failureReasons)),
    missingIds: [...stats.missingIds],
    redirectedIds: [...stats.redirectedIds],
    quarantinedIds: [...stats.quarantinedIds],
  };
}

/**
 * One kind per failure reason, ids and indices folded to `N`
 * (`maxsold: auction.items[N] has no numeric id`), commonest first: a run with a
 * hundred bad bodies lists one line, not a hundred. Codes stay (`http_500`); each
 * id's own reason is in the quarantine list.
 */
export function failureKinds(reasons: Record<string, number>): [string, number][] {
  const kinds = new Map<string, number>();
  for (const [reason, n] of Object.entries(reasons)) {
    const kind = reason.replace(/(?<![\w.])\d+(?![\w.])/g, 'N');
    kinds.set(kind, (kinds.get(kind) ?? 0) + n);
  }
  return [...kinds].sort((a, b) => b[1] - a[1]);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** The report's headline figures as label/value pairs, in reading order. */
/** Lines about the network, which a rebuild from raw objects (`reprocess`) has none of. */
const NETWORK_LINES = new Set([
  'requests',
  'retried (transient)',
  '429/503 honoured',
  'pages asked again larger',
  'redirects followed (same origin)',
  'peak requests in flight',
  'bytes received',
  'raw stored (gzip)',
  'requests/s',
  'latency p50 / p95',
]);

/** Each outcome's line in the report, in the order it is read. */
const OUTCOME_LINES: [Outcome, string][] = [
  ['fetched', 'fetched'],
  ['unchanged', 'unchanged (304 or same SHA-256)'],
  ['skipped', 'skipped (already stored; a VIA poll: overtaken)'],
  ['missing', 'missing (404, unknown id)'],
  ['redirected', 'redirected (elsewhere, not followed)'],
  ['empty', 'empty (no items)'],
  ['quarantined', 'quarantined'],
];

/** A rebuild from raw asks no server: what it reaches, each named for what it means there. */
const REBUILD_LINES = new Map<Outcome, string>([
  ['fetched', 'rebuilt from raw'],
  ['skipped', 'skipped (never committed: a killed run)'],
  ['empty', 'empty (no items)'],
  ['quarantined', 'quarantined'],
]);

const isRebuild = (command: string) => command === 'reprocess';

function reportedOutcomes(command: string): [Outcome, string][] {
  return isRebuild(command) ? [...REBUILD_LINES] : OUTCOME_LINES;
}

/** The outcomes on one line, `fetched 285, unchanged 0, …` (`rebuilt 285, skipped 0, empty 0, quarantined 0` for a rebuild). */
export function outcomeSummary(r: Pick<RunReport, 'command' | 'outcomes'>): string {
  return reportedOutcomes(r.command)
    .map(([o]) => `${isRebuild(r.command) && o === 'fetched' ? 'rebuilt' : o} ${r.outcomes[o]}`)
    .join(', ');
}

function reportLines(r: RunReport): [string, string][] {
  const offline = isRebuild(r.command);
  const kinds = (Object.keys(r.planned) as (WorkKind | 'total')[]).filter((k) => k !== 'total' && r.planned[k] > 0);
  const lines: [string, string][] = [
    [
      'planned',
      `${r.planned.total}${kinds.length > 1 ? ` (${kinds.map((k) => `${r.planned[k]} ${k}`).join(', ')})` : kinds.length === 1 ? ` ${kinds[0]}` : ''}`,
    ],
    ...reportedOutcomes(r.command).map(([o, label]): [string, string] => [label, String(r.outcomes[o])]),
  ];
  if (r.unfinished > 0) lines.push(['unfinished (stopped early)', String(r.unfinished)]);
  if (r.notStarted) lines.push(['not started (the run stopped first)', String(r.notStarted)]);
  lines.push(
    ['requests', String(r.requests)],
    ['retried (transient)', String(r.retries)],
    ['429/503 honoured', String(r.throttledHonoured)],
    ['pages asked again larger', String(r.pageRegrows)],
    ['redirects followed (same origin)', String(r.redirectsFollowed)],
    ['peak requests in flight', String(r.peakRequestsInFlight)],
    ['bytes received', formatBytes(r.bytesReceived)],
    ['raw stored (gzip)', formatBytes(r.bytesStored)],
    [
      'rows written',
      Object.entries(r.rows)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || '0',
    ],
    ['table files written', String(r.tableFiles)],
    ['data anomalies', anomalyTotal(r.anomalies)],
    ['wall time', `${r.wallSeconds.toFixed(2)} s`],
    ['CPU time (user+sys)', `${r.cpuSeconds.toFixed(2)} s`],
    ['I/O share (idle core-time)', `${(r.ioShare * 100).toFixed(0)}% of ${r.cores} cores`],
    ['requests/s', r.requestsPerSecond.toFixed(1)],
    ['latency p50 / p95', `${r.latencyMs.p50} / ${r.latencyMs.p95} ms`],
  );
  if (r.eventLoopDelayMs)
    lines.push([
      'event-loop delay p50 / p99 / max',
      `${r.eventLoopDelayMs.p50} / ${r.eventLoopDelayMs.p99} / ${r.eventLoopDelayMs.max} ms`,
    ]);
  if (r.process) {
    const first =
      r.process.firstRequestSeconds === undefined ? '' : `; first request ${r.process.firstRequestSeconds.toFixed(2)} s after start`;
    lines.push([
      'whole process',
      `${r.process.cpuSeconds.toFixed(2)} CPU-s in ${r.process.uptimeSeconds.toFixed(2)} s${first}; peak RSS ${r.process.peakRssMb} MB`,
    ]);
  }
  return offline ? lines.filter(([k]) => !NETWORK_LINES.has(k)) : lines;
}

/** What a data-anomaly line means, where it is printed. */
export const ANOMALY_LEGEND = '<table>.<field>:<reason>, as docs/field-contract.md defines them';

function anomalyTotal(anomalies: Record<string, number>): string {
  const n = Object.values(anomalies).reduce((a, b) => a + b, 0);
  return n === 0 ? '0' : `${n} (${Object.keys(anomalies).length} kinds, listed below)`;
}

/** Data anomalies as `name: count` lines, sorted by name so one table's fields sit together. */
export function anomalyLines(anomalies: Record<string, number>): string[] {
  return Object.keys(anomalies)
    .sort()
    .map((k) => `${k}: ${anomalies[k]}`);
}

export function renderReportText(r: RunReport): string {
  const lines = reportLines(r);
  const width = Math.max(...lines.map(([k]) => k.length));
  const out = lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  const reasons = Object.entries(r.failureReasons);
  if (reasons.length > 0) out.push('', '  failures seen (each retried or recorded):', ...reasons.map(([k, n]) => `    ${k}: ${n}`));
  const anomalies = anomalyLines(r.anomalies);
  if (anomalies.length > 0) out.push('', `  data anomalies (${ANOMALY_LEGEND}):`, ...anomalies.map((l) => `    ${l}`));
  if (r.redirectedIds.length > 0) {
    out.push(
      '',
      '  redirected (has the API moved?):',
      ...r.redirectedIds.slice(0, 5).map((x) => `    ${x}`),
      ...(r.redirectedIds.length > 5 ? ['    …'] : []),
    );
  }
  if (!r.complete) out.push('', `  INCOMPLETE${r.stopReason ? ` (${r.stopReason})` : ''}: ${whatIsLeft(r)}`);
  return out.join('\n');
}

/** What a run that stopped early left, and whether running it again takes it up. */
function whatIsLeft(r: RunReport): string {
  const left = [
    ...(r.unfinished > 0 ? [`${r.unfinished} planned item(s) did not finish`] : []),
    ...(r.notStarted ? [`${r.notStarted}${r.unfinished > 0 ? ' more' : ''} were not started`] : []),
  ];
  // A VIA poll's snapshots are of their minute: a rerun polls from its own start.
  const polls = r.planned.snapshots > 0 && r.planned.auctions === 0 && r.planned.bids === 0;
  if (polls)
    return `${r.unfinished > 0 ? `it stopped with ${r.unfinished} poll(s) unfinished` : 'it stopped before the end of its polling'}; a rerun polls anew from its start.`;
  if (left.length === 0 && r.outcomes.quarantined > 0)
    return `${r.outcomes.quarantined} item(s) quarantined; run the same command again once the server answers.`;
  return `${left.length ? left.join(' and ') : 'it stopped before its plan ended'}; run the same command again to resume.`;
}

export function renderReportMarkdown(r: RunReport): string {
  const rows = reportLines(r).map(([k, v]) => `| ${k} | ${v} |`);
  const out = [
    `# Run report: ${r.command}`,
    '',
    `${r.startedAt} → ${r.finishedAt}${r.complete ? '' : ` (incomplete${r.stopReason ? `: ${r.stopReason}` : ''})`}`,
    '',
    '| | |',
    '|---|---|',
    ...rows,
  ];
  const settings = Object.entries(r.settings);
  if (settings.length > 0) out.push('', '## Settings', '', ...settings.map(([k, v]) => `- ${k}: ${v}`));
  const reasons = Object.entries(r.failureReasons);
  if (reasons.length > 0) out.push('', '## Failures seen', '', ...reasons.map(([k, n]) => `- ${k}: ${n}`));
  const anomalies = anomalyLines(r.anomalies);
  if (anomalies.length > 0) out.push('', '## Data anomalies', '', `${ANOMALY_LEGEND}.`, '', ...anomalies.map((l) => `- ${l}`));
  if (r.missingIds.length > 0) out.push('', '## Missing', '', r.missingIds.join(', '));
  if (r.redirectedIds.length > 0) out.push('', '## Redirected', '', ...r.redirectedIds.map((q) => `- ${q}`));
  if (r.quarantinedIds.length > 0) out.push('', '## Quarantined', '', ...r.quarantinedIds.map((q) => `- ${q}`));
  return out.join('\n') + '\n';
}
