import { getPriority, setPriority } from 'node:os';

/**
 * Whether this machine lets the tests raise a process's scheduling priority (root, or
 * CAP_SYS_NICE on Linux): probed by raising this process's own by one step and putting it back
 * (lowering a priority is always allowed).
 */
export function canRaisePriority(): boolean {
  const before = getPriority();
  try {
    setPriority(before - 1);
  } catch {
    return false;
  }
  setPriority(before);
  return true;
}

/** How a program is started at high priority: `nice -n -19 <program> …`, inherited by each of its threads. */
export function highPriority(command: string[]): string[] {
  return ['nice', '-n', '-19', ...command];
}
