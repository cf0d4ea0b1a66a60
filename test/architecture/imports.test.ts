import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, sourcesUnder } from '../helpers/imports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * What each folder may import besides itself: imports point inward, towards core/.
 * cli/ is the outermost layer (the `scraper` command reaches every other one), so
 * nothing imports it; bench/ measures the product and runs `scraper` as a user does,
 * as a process, never by importing cli/.
 */
const MAY_IMPORT: Record<string, string[]> = {
  core: [],
  adapters: ['core'],
  functions: ['adapters', 'core'],
  simulator: [],
  cdk: ['core'],
  emulator: ['adapters', 'core', 'simulator'],
  bench: ['adapters', 'cdk', 'core', 'simulator'],
  cli: ['adapters', 'bench', 'cdk', 'core', 'emulator', 'simulator'],
};

const files = sourcesUnder(ROOT, Object.keys(MAY_IMPORT));
const graph = importGraph(ROOT, files);
const layerOf = (file: string) => file.split('/')[0];

/** `from → to` for every import that leaves the importing file's folder. */
const crossings = [...graph].flatMap(([from, targets]) =>
  targets.filter((to) => layerOf(to) !== layerOf(from)).map((to) => ({ from, to })),
);

describe('imports point inward', () => {
  it('finds the sources and their imports', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(crossings.some((c) => c.from.startsWith('cli/') && c.to.startsWith('bench/'))).toBe(true);
  });

  it('bench/ never imports cli/', () => {
    expect(crossings.filter((c) => layerOf(c.from) === 'bench' && layerOf(c.to) === 'cli')).toEqual([]);
  });

  it('nothing outside cli/ imports cli/', () => {
    expect(crossings.filter((c) => layerOf(c.to) === 'cli')).toEqual([]);
  });

  it.each(Object.keys(MAY_IMPORT))('%s/ imports only the layers inside it', (layer) => {
    const outward = crossings.filter((c) => layerOf(c.from) === layer && !MAY_IMPORT[layer]!.includes(layerOf(c.to)!));
    expect(outward.map((c) => `${c.from} → ${c.to}`)).toEqual([]);
  });

  it('no modules import one another, directly or round a loop (type-only imports count)', () => {
    expect(importCycles(graph)).toEqual([]);
  });
});

describe('the cycle finder', () => {
  it('finds a loop of three and a module importing itself, and nothing in a chain', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
      ['f.ts', ['d.ts']],
    ]);
    expect(importCycles(g).sort()).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  });
});
