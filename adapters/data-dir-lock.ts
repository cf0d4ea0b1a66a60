import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FatalError } from '../core/errors.js';

/** Who holds a data directory. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

const LOCK_FILE = '.lock';
/** Locks this process holds (its own pid in a lock file is otherwise an earlier life's). */
const heldHere = new Set<string>();
/** A lock file that cannot be read is taken for a crash between its creation and its first write once it is this old. */
const UNREADABLE_GRACE_MS = 5_000;

/**
 * One run per data directory: two runs on one directory would both fetch every item
 * and write every row twice. `<dir>/.lock` names the pid, host, command and start of
 * the run that holds it and is created exclusively. A lock left by a process that is
 * gone (same host, pid not running) is stale and taken over; one held on another host
 * is never guessed at (`onTakeOver` hears of each taken over). Returns the release; the lock
 * also goes when the process exits.
 * A directory that does not exist is not locked (there is nothing in it yet).
 */
export function lockDataDir(dir: string, command: string, onTakeOver?: (gone: LockHolder | 'unreadable') => void): () => void {
  const path = join(dir, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  const text = JSON.stringify(me) + '\n';
  for (;;) {
    if (heldHere.has(path)) throw new FatalError(`the data directory ${dir} is in use by another run in this process`);
    try {
      writeFileSync(path, text, { flag: 'wx' });
      heldHere.add(path);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // No directory yet: nothing in it to protect (a run makes it before it locks).
      if (code === 'ENOENT') return () => {};
      if (code !== 'EEXIST') throw new FatalError(`cannot lock the data directory ${dir}: ${(e as Error).message}`, { cause: e });
    }
    const held = readHolder(path);
    if (held === 'gone') continue;
    if (held !== 'unreadable' && !isStale(held)) {
      throw new FatalError(
        `the data directory ${dir} is in use by another run (pid ${held.pid} on ${held.host}: "${held.command}", since ${held.since}); if that run is gone, delete ${path}`,
      );
    }
    if (held === 'unreadable' && Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0) < UNREADABLE_GRACE_MS) {
      throw new FatalError(`the data directory ${dir} is being locked by another run (${path} was just created)`);
    }
    takeOverStale(path, held);
    onTakeOver?.(held);
  }
  const release = () => {
    process.off('exit', release);
    heldHere.delete(path);
    const held = readHolder(path);
    if (held !== 'gone' && held !== 'unreadable' && held.pid === me.pid && held.since === me.since) unlinkSync(path);
  };
  process.on('exit', release);
  return release;
}

function readHolder(path: string): LockHolder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw e;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Held on this host by a process that no longer runs (or by this very pid, from an earlier life in a container). */
function isStale(h: LockHolder): boolean {
  return h.host === hostname() && (h.pid === process.pid || !processAlive(h.pid));
}

/**
 * Moves the stale lock aside before deleting it, so that of two runs taking it over at
 * once only one removes it: if what was moved is not the lock judged stale (another run
 * took it over first), it is put back.
 */
function takeOverStale(path: string, judged: LockHolder | 'unreadable'): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readHolder(aside);
  const same =
    judged === 'unreadable'
      ? moved === 'unreadable'
      : moved !== 'gone' && moved !== 'unreadable' && moved.pid === judged.pid && moved.since === judged.since;
  if (!same) {
    try {
      linkSync(aside, path);
    } catch {
      // Another run holds the directory by now: the next round finds it.
    }
  }
  unlinkSync(aside);
}

/** Whether a process with this pid runs on this host (one of another user's counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
