/**
 * The recorded responses the simulator is built from. Found by walking up from this
 * module, because the same code runs as simulator/*.ts (tests) and dist/simulator/*.js.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let fixturesDir: string | undefined;

export function findFixturesDir(): string {
  if (fixturesDir) return fixturesDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'fixtures');
    if (existsSync(join(candidate, 'SHAPES.md'))) return (fixturesDir = candidate);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`simulator: no fixtures/SHAPES.md above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

const cache = new Map<string, string>();

/** Text of a fixture file (path relative to fixtures/), read once. */
export function fixtureText(path: string): string {
  let text = cache.get(path);
  if (text === undefined) {
    text = readFileSync(join(findFixturesDir(), path), 'utf8');
    cache.set(path, text);
  }
  return text;
}

export const SEED_AUCTION = 'maxsold/auction-104375.json';
export const SEED_VIA = 'via/alldata-20260716T0425.json';
/** When SEED_VIA was captured (its file name in the source repository). */
export const SEED_VIA_CAPTURED_MS = Date.parse('2026-07-16T04:25:02.558Z');
