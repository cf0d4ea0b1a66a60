import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../simulator/index.js';
import { runCli, startCli } from '../helpers/cli.js';
import { filesUnder, tempDir } from '../helpers/data-dir.js';

describe('runs that stop early, poll, and run again', () => {
  /** Nothing listens on port 1: every request is refused. */
  const DEAD = 'http://127.0.0.1:1';
  /** A data directory and a simulator (started with `options`) for one test, both gone after it. */
  const withServer = async (options: SimulatorOptions, test: (dir: string, sim: RunningSimulator) => Promise<void>) => {
    const { dir, cleanup } = tempDir('run-');
    const sim = await startSimulator(options);
    try {
      await test(dir, sim);
    } finally {
      await sim.close();
      cleanup();
    }
  };
  type Report = {
    complete: boolean;
    unfinished: number;
    notStarted?: number;
    planned: { total: number; snapshots: number; bids: number };
    outcomes: { fetched: number; unchanged: number };
  };
  const reportOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;

  it('a run that stops early counts what it never started, so the report adds up to what was asked for', () =>
    withServer({}, async (dir) => {
      // The retry budget stops the run at once.
      const r = await runCli(['run', 'maxsold', '--ids', '1-99999999', '--base-url', DEAD, '--out', dir, '--quiet']);
      expect(r.code, r.stderr).toBe(1);
      const report = reportOf(dir);
      expect(report.planned.total).toBeGreaterThan(0);
      expect(report.planned.total + report.notStarted!).toBe(99_999_999);
      expect(r.stdout).toContain(`${report.unfinished} planned item(s) did not finish and ${report.notStarted} more were not started`);
    }));

  it('a VIA poll that stops early ends at once: no lane waits for a later poll, none counted as not started', () =>
    withServer({}, async (dir) => {
      const r = await runCli([
        'run',
        'via',
        '--every',
        '1s',
        '--for',
        '10m',
        '--base-url',
        DEAD,
        '--out',
        dir,
        '--max-retries',
        '0',
        '--quiet',
      ]);
      expect(r.code, r.stderr).toBe(1);
      // Before, each of the run's lanes waiting on the plan still took its poll, a second apart: 132 of them.
      expect(reportOf(dir).planned.snapshots).toBeLessThanOrEqual(2);
      expect(reportOf(dir).notStarted).toBeUndefined();
    }));

  it('Ctrl-C ends a VIA poll without --for as it should: its polls stored, the run complete, exit 0', () =>
    withServer({}, async (dir, sim) => {
      const { child, done } = startCli(['run', 'via', '--every', '1s', '--base-url', sim.url, '--out', dir, '--quiet']);
      const snapshots = () => (existsSync(join(dir, 'raw/source=via')) ? filesUnder(join(dir, 'raw/source=via')).length : 0);
      // Signalled between polls: two stored and none at the server (the next is most of a second away).
      while (snapshots() < 2 || sim.stats().inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGINT');
      const r = await done;
      const report = reportOf(dir);
      expect(report.unfinished, r.stdout).toBe(0);
      expect(report.complete).toBe(true);
      expect(r.code).toBe(0);
      expect(report.planned.snapshots).toBeGreaterThanOrEqual(2);
    }));

  it('--with-bids --refetch plans the bid histories of auctions the server says are unchanged', () =>
    withServer({}, async (dir, sim) => {
      const ids = ['--ids', '100000-100001', '--base-url', sim.url, '--out', dir, '--quiet', '--workers', '0'];
      expect((await runCli(['run', 'maxsold', ...ids])).code).toBe(0);
      const r = await runCli(['run', 'maxsold', ...ids, '--with-bids', '--refetch']);
      expect(r.code, r.stderr).toBe(0);
      expect(reportOf(dir).outcomes.unchanged).toBe(2);
      expect(reportOf(dir).planned.bids).toBeGreaterThan(0);
    }));

  // The snapshot the server renders changes each minute: held at one minute here.
  it("a VIA rerun's first poll is compared with the snapshot the last run stored: unchanged, not stored twice", () =>
    withServer({ clock: () => Date.parse('2026-12-07T12:00:30Z') }, async (dir, sim) => {
      const args = ['run', 'via', '--base-url', sim.url, '--out', dir, '--quiet'];
      expect((await runCli(args)).code).toBe(0);
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(0);
      expect(reportOf(dir).outcomes).toMatchObject({ fetched: 0, unchanged: 1 });
      expect(filesUnder(join(dir, 'raw/source=via'))).toHaveLength(1);
    }));
});
