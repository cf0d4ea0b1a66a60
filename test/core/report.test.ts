import { describe, expect, it } from 'vitest';
import { buildReport, failureKinds, renderReportText } from '../../core/report.js';
import { RunStats } from '../../core/run-stats.js';
import type { WorkItem } from '../../core/work-item.js';

const timing = { command: 'run', startedAt: 0, finishedAt: 1000, cpuSeconds: 0.5, cores: 2, settings: {} };

describe('failure kinds in the report', () => {
  it('folds ids and indices, keeps codes and decimals, commonest first', () => {
    expect(
      failureKinds({
        'schema: maxsold: auction.id "oops" does not match requested 100009': 5,
        http_500: 3,
        'schema: maxsold: auction.id "oops" does not match requested 100040': 5,
        'schema: maxsold: auction.items[3] has no numeric id': 1,
        'schema: maxsold: auction.items[12] has no numeric id': 1,
        'took 1.5 s': 1,
      }),
    ).toEqual([
      ['schema: maxsold: auction.id "oops" does not match requested N', 10],
      ['http_500', 3],
      ['schema: maxsold: auction.items[N] has no numeric id', 2],
      ['took 1.5 s', 1],
    ]);
  });

  it('a run with many bad bodies lists one line per kind, and each id stays in the quarantine list', () => {
    const stats = new RunStats();
    for (let id = 100_000; id < 100_040; id++) {
      const item: WorkItem = { source: 'maxsold', id: String(id), dt: '2026-11-27' };
      stats.plan(item);
      for (let attempt = 0; attempt < 5; attempt++) stats.failure(`schema: maxsold: auction.id "oops" does not match requested ${id}`);
      stats.finish(item, 'quarantined', `auction=${id}: schema`);
    }
    const report = buildReport(stats, timing);
    expect(report.failureReasons).toEqual({ 'schema: maxsold: auction.id "oops" does not match requested N': 200 });
    expect(report.quarantinedIds).toHaveLength(40);
    const text = renderReportText(report);
    expect(text.split('\n').filter((l) => l.includes('does not match'))).toEqual([
      '    schema: maxsold: auction.id "oops" does not match requested N: 200',
    ]);
  });
});

describe('a run that stopped early says what it left', () => {
  const stopped = (items: WorkItem[], finished: number, extra: { expected?: number; taken?: number } = {}) => {
    const stats = new RunStats();
    items.forEach((item, i) => {
      stats.plan(item);
      if (i < finished) stats.finish(item, 'fetched');
    });
    stats.stopReason = 'interrupted by SIGINT';
    return renderReportText(buildReport(stats, { ...timing, ...extra }))
      .split('\n')
      .at(-1);
  };
  const auctions = (n: number): WorkItem[] =>
    Array.from({ length: n }, (_, i) => ({ source: 'maxsold', id: String(100_000 + i), dt: '2026-11-27' }));

  it('auctions: what did not finish and what was never started; a rerun resumes', () => {
    expect(stopped(auctions(5), 3, { expected: 15, taken: 5 })).toBe(
      '  INCOMPLETE (interrupted by SIGINT): 2 planned item(s) did not finish and 10 more were not started; run the same command again to resume.',
    );
  });

  it('a VIA poll: a rerun polls anew, it does not resume; nothing unfinished is not said as "0 did not finish"', () => {
    const polls: WorkItem[] = [
      { source: 'via', at: '2026-11-27T12:00:00Z' },
      { source: 'via', at: '2026-11-27T12:01:00Z' },
    ];
    expect(stopped(polls, 2)).toBe(
      '  INCOMPLETE (interrupted by SIGINT): it stopped before the end of its polling; a rerun polls anew from its start.',
    );
    expect(stopped(polls, 1)).toBe(
      '  INCOMPLETE (interrupted by SIGINT): it stopped with 1 poll(s) unfinished; a rerun polls anew from its start.',
    );
  });
});
