import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { QUARANTINE_PREFIX, RAW_PREFIX, RAW_SUFFIX, TABLES_PREFIX } from '../../core/raw-key.js';
import { anomalyLines, ANOMALY_LEGEND, outcomeSummary, type RunReport } from '../../core/report.js';
import { OUTCOMES } from '../../core/run-stats.js';
import { existingDataDir, parse, str } from '../args.js';
import { requireNoPositionals } from '../common.js';
import { textTable } from './query.js';

export const STATUS_HELP = `Usage: scraper status [--out DIR] [--json]

Summarises a data directory: raw objects by source and day (committed, and any body a
killed run left without metadata), table files by table, quarantined items by reason,
and the last run's report (missing ids, whether it completed, its data anomalies).

Options:
  -o, --out DIR        data directory (default ./data)
      --json           print the summary as JSON
  -h, --help           show this help`;

export interface DataStatus {
  raw: Record<string, { committed: number; uncommitted: number; empty: number }>;
  tables: Record<string, number>;
  quarantine: Record<string, number>;
  leftoverTempFiles: number;
  lastRun?: {
    command: string;
    finishedAt: string;
    complete: boolean;
    stopReason?: string;
    outcomes: RunReport['outcomes'];
    missing: string[];
    redirected: string[];
    /** Field-level anomalies of that run (`<table>.<field>:<reason>` → count). */
    anomalies: Record<string, number>;
  };
  /** Why report.json could not be read, when it could not (a file cut short, or not ours). */
  lastRunUnreadable?: string;
}

export async function dataStatus(out: string): Promise<DataStatus> {
  const store = new FsObjectStore(out);
  const status: DataStatus = { raw: {}, tables: {}, quarantine: {}, leftoverTempFiles: 0 };
  for await (const key of store.list(RAW_PREFIX)) {
    if (!key.endsWith(RAW_SUFFIX)) continue;
    const m = /^raw\/source=([^/]+)\/dt=([^/]+)\//.exec(key);
    const bucket = (status.raw[m ? `${m[1]} ${m[2]}` : 'other'] ??= { committed: 0, uncommitted: 0, empty: 0 });
    const meta = await store.head(key);
    if (!meta?.['fetched-at']) bucket.uncommitted++;
    else if (meta.outcome === 'empty') bucket.empty++;
    else bucket.committed++;
  }
  for await (const key of store.list(TABLES_PREFIX)) {
    const table = key.split('/')[1] ?? key;
    status.tables[table] = (status.tables[table] ?? 0) + 1;
  }
  for await (const key of store.list(QUARANTINE_PREFIX)) {
    const reason = ((await store.head(key))?.reason ?? 'unknown')
      .replace(/ after \d+ attempts$/, '')
      .replace(/^(schema|normaliser_error): .*/, '$1');
    status.quarantine[reason] = (status.quarantine[reason] ?? 0) + 1;
  }
  const tmp = join(out, '.tmp');
  if (existsSync(tmp)) for (const d of await readdir(tmp)) status.leftoverTempFiles += (await readdir(join(tmp, d))).length;
  const report = join(out, 'report.json');
  if (existsSync(report)) {
    try {
      status.lastRun = lastRunOf(JSON.parse(readFileSync(report, 'utf8')) as Partial<RunReport>);
    } catch (e) {
      status.lastRunUnreadable = (e as Error).message;
    }
  }
  return status;
}

/** The last run as report.json tells it; a field a report from an older version lacks is zero or empty. */
function lastRunOf(r: Partial<RunReport>): NonNullable<DataStatus['lastRun']> {
  if (typeof r !== 'object' || r === null || typeof r.command !== 'string' || typeof r.outcomes !== 'object' || r.outcomes === null)
    throw new Error('not a run report (no command or outcomes)');
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, Number(r.outcomes?.[o] ?? 0)])) as RunReport['outcomes'];
  return {
    command: r.command,
    finishedAt: String(r.finishedAt ?? '?'),
    complete: r.complete === true,
    stopReason: r.stopReason,
    outcomes,
    missing: Array.isArray(r.missingIds) ? r.missingIds : [],
    redirected: Array.isArray(r.redirectedIds) ? r.redirectedIds : [],
    anomalies: r.anomalies ?? {},
  };
}

export async function statusCommand(args: string[]): Promise<number> {
  const p = parse(args, { out: { type: 'string', short: 'o' }, json: { type: 'boolean' } });
  if (p.values.help) return (void process.stdout.write(STATUS_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper status --help');
  const out = existingDataDir(str('out', p.values.out, './data'));
  const s = await dataStatus(out);
  if (p.values.json) return (void process.stdout.write(JSON.stringify(s, null, 2) + '\n'), 0);
  const lines = [`data directory ${out}`, ''];
  const raw = Object.entries(s.raw).map(([k, v]) => [k, String(v.committed), String(v.empty), String(v.uncommitted)]);
  lines.push('raw objects', raw.length ? textTable(['source, day', 'fetched', 'empty', 'uncommitted'], raw) : '  none', '');
  const tables = Object.entries(s.tables).map(([k, v]) => [k, String(v)]);
  lines.push('table files', tables.length ? textTable(['table', 'files'], tables) : '  none', '');
  const q = Object.entries(s.quarantine).map(([k, v]) => [k, String(v)]);
  lines.push(
    'quarantined, by reason (scraper redrive fetches them again, VIA snapshots aside)',
    q.length ? textTable(['reason', 'items'], q) : '  none',
    '',
  );
  if (s.leftoverTempFiles > 0)
    lines.push(`${s.leftoverTempFiles} temporary file(s) from a killed run in .tmp/ (removed by the next run)`, '');
  if (s.lastRun) {
    lines.push(
      `last run: ${s.lastRun.command}, finished ${s.lastRun.finishedAt}, ${s.lastRun.complete ? 'complete' : `INCOMPLETE${s.lastRun.stopReason ? ` (${s.lastRun.stopReason})` : ''}`}`,
    );
    lines.push(`  ${outcomeSummary(s.lastRun)}`);
    if (s.lastRun.missing.length > 0)
      lines.push(`  missing: ${s.lastRun.missing.slice(0, 20).join(', ')}${s.lastRun.missing.length > 20 ? ', …' : ''}`);
    if (s.lastRun.redirected.length > 0)
      lines.push(`  redirected: ${s.lastRun.redirected.slice(0, 5).join(', ')}${s.lastRun.redirected.length > 5 ? ', …' : ''}`);
    const anomalies = anomalyLines(s.lastRun.anomalies);
    lines.push(
      anomalies.length > 0 ? `  data anomalies (${ANOMALY_LEGEND}):` : '  data anomalies: none',
      ...anomalies.map((l) => `    ${l}`),
    );
  }
  if (s.lastRunUnreadable !== undefined)
    lines.push(`last run: report.json cannot be read (${s.lastRunUnreadable}); the data above is as counted from the files`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
