import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../adapters/data-dir-lock.js';
import { FatalError } from '../../core/errors.js';
import { tempDir } from '../helpers/data-dir.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));
function dir(): string {
  const d = tempDir('lock-');
  cleanups.push(d.cleanup);
  return d.dir;
}
const holder = (pid: number, host = hostname()) => JSON.stringify({ pid, host, command: 'run maxsold', since: '2026-11-26T12:00:00.000Z' });
/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('the data-directory lock', () => {
  it('names the pid, host and command that hold it, and goes on release', () => {
    const d = dir();
    const release = lockDataDir(d, 'run maxsold');
    expect(JSON.parse(readFileSync(join(d, '.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
      host: hostname(),
      command: 'run maxsold',
    });
    release();
    expect(existsSync(join(d, '.lock'))).toBe(false);
  });

  it('refuses a second holder in the same process', () => {
    const d = dir();
    const release = lockDataDir(d, 'run maxsold');
    expect(() => lockDataDir(d, 'compact')).toThrow(FatalError);
    release();
    lockDataDir(d, 'compact')();
  });

  it('refuses a lock held by a live process, in one line naming it and how to clear a stale one', () => {
    const d = dir();
    writeFileSync(join(d, '.lock'), holder(process.ppid));
    expect(() => lockDataDir(d, 'run via')).toThrow(
      new FatalError(
        `the data directory ${d} is in use by another run (pid ${process.ppid} on ${hostname()}: "run maxsold", since 2026-11-26T12:00:00.000Z); if that run is gone, delete ${join(d, '.lock')}`,
      ),
    );
  });

  it('takes over a lock whose process is gone (same host)', () => {
    const d = dir();
    const pid = deadPid();
    writeFileSync(join(d, '.lock'), holder(pid));
    const heard: unknown[] = [];
    const release = lockDataDir(d, 'run via', (gone) => heard.push(gone));
    expect(JSON.parse(readFileSync(join(d, '.lock'), 'utf8')).pid).toBe(process.pid);
    // Whoever took it over hears whose it was: the run it resumes.
    expect(heard).toEqual([expect.objectContaining({ pid, host: hostname() })]);
    release();
  });

  it('never guesses about a lock held on another host', () => {
    const d = dir();
    writeFileSync(join(d, '.lock'), holder(deadPid(), 'elsewhere.example'));
    expect(() => lockDataDir(d, 'run via')).toThrow(/in use by another run \(pid \d+ on elsewhere\.example/);
  });

  it('a directory that does not exist yet is not locked (nor made)', () => {
    const d = join(dir(), 'not-yet');
    const release = lockDataDir(d, 'compact');
    expect(existsSync(d)).toBe(false);
    // Nothing held: the same directory can be locked again, here and once it exists.
    lockDataDir(d, 'compact')();
    mkdirSync(d);
    lockDataDir(d, 'compact')();
    release();
  });
});
