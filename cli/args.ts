import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line input: printed as one line naming the flag and the expected form, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export function parse(args: string[], options: Options, allowPositionals = false): Parsed {
  try {
    const { values, positionals, tokens } = parseArgs({
      args: negativeValuesJoined(args, options),
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
      tokens: true,
    });
    // The last of two would win, unseen: `--ids 1 --ids 2` fetched only 2.
    const seen = new Set<string>();
    for (const t of tokens as { kind: string; name: string; value?: string }[])
      if (t.kind === 'option' && t.value !== undefined && !options[t.name]?.multiple) {
        if (seen.has(t.name))
          throw new UsageError(
            `--${t.name}: given twice; give it once${t.name === 'ids' ? ' (a list goes in one value: --ids 1-5,9)' : ''}`,
          );
        seen.add(t.name);
      }
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const message = oneLine(e as Error & { code?: string });
    if (!/^unknown option '/.test(message)) throw new UsageError(message);
    const near = nearest(/^unknown option '--([\w-]+)'/.exec(message)?.[1], Object.keys(options));
    throw new UsageError(`${message}; ${near ? `did you mean --${near}?` : 'see --help'}`);
  }
}

/**
 * The option a typo most likely meant, first found of: one whose name holds what was typed (--conc,
 * --bids for --with-bids); one that starts the same way for most of it (--max-retry); one whose
 * name is held in it (--out-dir); one within two edits (one for short names).
 */
function nearest(typed: string | undefined, names: string[]): string | undefined {
  if (typed === undefined) return undefined;
  const closest = (found: string[]) => found.sort((a, b) => editDistance(typed, a) - editDistance(typed, b))[0];
  const sharedStart = (n: string) => {
    let i = 0;
    while (i < n.length && n[i] === typed[i]) i++;
    return i;
  };
  const rules: ((n: string) => boolean)[] = [
    (n) => typed.length >= 3 && n.includes(typed),
    (n) => sharedStart(n) >= Math.max(4, 0.6 * typed.length),
    (n) => n.length >= 3 && typed.includes(n),
    (n) => editDistance(typed, n) <= (n.length > 4 ? 2 : 1),
  ];
  for (const rule of rules) {
    const found = names.filter(rule);
    if (found.length > 0) return closest(found);
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/** Node's parser's complaint as one line that names the flag (its own can take three). */
function oneLine(e: Error & { code?: string }): string {
  const missing = /^Option '(?:-\w, )?--([\w-]+) <value>' argument missing/.exec(e.message);
  if (missing) return `--${missing[1]}: expected a value after it (see --help)`;
  const message = e.message.replace(/\. To specify a positional argument.*$/s, '').replace(/^Unknown option/, 'unknown option');
  return e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL'
    ? `unexpected argument: ${message.replace(/^Unexpected argument '(.*)'.*$/s, '$1')}`
    : message;
}

/**
 * `--workers -1` (or `-c -1`) as `--workers=-1`: Node's parser takes a value starting with a
 * dash for an option and refuses it, so the flag's own check (and its message) never ran.
 */
function negativeValuesJoined(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith('--')
      ? a.slice(2)
      : /^-\w$/.test(a)
        ? Object.keys(options).find((k) => options[k]?.short === a[1])
        : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next?.startsWith('-')) {
      // Most often a forgotten value: the next flag was read as one.
      if (!/^-[\d.]/.test(next))
        throw new UsageError(
          `--${name}: expected a value after it, got the option "${next}" (a value starting with a dash: --${name}=VALUE)`,
        );
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function int(flag: string, value: string | boolean | undefined, fallback: number, min = 1, max = 100_000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || n < min || n > max) {
    throw new UsageError(`--${flag}: expected a whole number from ${min} to ${max}, got "${String(value)}"`);
  }
  return n;
}

/** `10/s`, `600/min`, `2.5/s`, `36000/h` → requests per second. */
export function rate(flag: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*\/\s*(s|sec|second|m|min|minute|h|hour)$/.exec(value.trim()) : null;
  const [, amount, unit] = m ?? [];
  if (amount === undefined || unit === undefined || Number(amount) <= 0)
    throw new UsageError(`--${flag}: expected a request rate like 10/s or 600/min, got "${String(value)}"`);
  const per = unit.startsWith('s') ? 1 : unit.startsWith('m') ? 60 : 3600;
  return Number(amount) / per;
}

/** `500ms`, `60s`, `5m`, `2h` → milliseconds. */
export function duration(flag: string, value: string | boolean | undefined, like = '500ms, 60s, 5m or 2h'): number | undefined {
  if (value === undefined) return undefined;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(value.trim()) : null;
  if (!m || Number(m[1]) <= 0) throw new UsageError(`--${flag}: expected a duration above zero like ${like}, got "${String(value)}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

/** `16MiB`, `500KB`, `1GiB`, `65536` (bytes) → bytes, from `min` up to `max`. */
export function size(flag: string, value: string | boolean | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(value.trim()) : null;
  const bytes = m ? Math.floor(Number(m[1]) * (SIZE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? NaN)) : NaN;
  if (!(bytes >= min && bytes <= max)) {
    throw new UsageError(
      `--${flag}: expected a size like 16MiB, 500KB or 65536 (bytes), from ${formatSize(min)} to ${formatSize(max)}, got "${String(value)}"`,
    );
  }
  return bytes;
}

/** Bytes as the flags take them: `16MiB`, `64KiB`, `100B`. */
export function formatSize(bytes: number): string {
  for (const [unit, n] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const)
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${unit}`;
  return `${bytes}B`;
}

export function url(flag: string, value: string | boolean | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const u = new URL(String(value));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    if (u.pathname !== '/' || u.search)
      throw new UsageError(`--${flag}: give the origin only (like http://127.0.0.1:8080); the API paths are added, got "${value}"`);
    return u.origin;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--${flag}: expected an http(s) origin like http://127.0.0.1:8080, got "${String(value)}"`);
  }
}

export function str(flag: string, value: string | boolean | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${flag}: expected a value`);
  return value;
}

export function choice<T extends string>(flag: string, value: string | boolean | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!choices.includes(value as T)) throw new UsageError(`--${flag}: expected one of ${choices.join(', ')}, got "${String(value)}"`);
  return value as T;
}

/**
 * The data directory a command reads (`--out`): it must exist, and hold `needs` (e.g. `raw`)
 * where the command works from it; a typo'd path is an error, not an empty result.
 */
export function existingDataDir(out: string, needs?: string): string {
  if (!existsSync(out))
    throw new UsageError(`--out: no data directory at "${out}" (scraper run --out ${out} makes one; npm start writes ./demo-data)`);
  if (!statSync(out).isDirectory()) throw new UsageError(`--out: "${out}" is a file, not a data directory`);
  if (needs !== undefined && !existsSync(join(out, needs))) throw new UsageError(`--out: "${out}" has no ${needs}/ to work from`);
  return out;
}
