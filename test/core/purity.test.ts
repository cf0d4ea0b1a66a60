import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf } from '../helpers/imports.js';

const CORE = fileURLToPath(new URL('../../core/', import.meta.url));

const files = (readdirSync(CORE, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(CORE, f));

/**
 * Libraries core/ may import, each from one file: pure functions with no I/O and no
 * dependencies of their own, where writing our own would be worse than depending on them.
 */
const PURE_LIBRARIES: Record<string, { file: string; reason: string }> = {
  entities: {
    file: 'html-entities.ts',
    reason: 'HTML5 character references: 2,125 names and the numeric rules, kept up by a maintained package',
  },
};

describe('core/ stays pure', () => {
  it('has sources to check', () => expect(files.length).toBeGreaterThan(10));

  it.each(files.map((f) => [relative(CORE, f), f]))('%s imports only core/ modules', (_name, file) => {
    const outside = importsOf(readFileSync(file, 'utf8'))
      .filter((spec) => !spec.startsWith('.') || !resolve(file, '..', spec).startsWith(CORE))
      .filter((spec) => PURE_LIBRARIES[spec]?.file !== relative(CORE, file));
    expect(outside).toEqual([]);
  });

  it.each(Object.keys(PURE_LIBRARIES))('%s, allowed in core/, has no dependencies of its own', (name) => {
    const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(`../../node_modules/${name}/package.json`, import.meta.url)), 'utf8')) as {
      dependencies?: object;
    };
    expect(Object.keys(pkg.dependencies ?? {})).toEqual([]);
  });

  it.each(files.map((f) => [relative(CORE, f), f]))('%s reads no process state', (_name, file) => {
    expect(readFileSync(file, 'utf8')).not.toMatch(/\bprocess\.(env|argv|cwd|exit|stdout|stderr|cpuUsage)/);
  });

  /** The ports' real implementations: the only files that may touch the system's clock, timers or chance. */
  const PORTS = new Set(['clock.ts', 'random.ts']);
  it.each(files.filter((f) => !PORTS.has(relative(CORE, f))).map((f) => [relative(CORE, f), f]))(
    '%s reads time, sets timers and draws random numbers only through the Clock and Random ports',
    (_name, file) => {
      const ambient =
        /\b(setTimeout|clearTimeout|setInterval|clearInterval|setImmediate|queueMicrotask|Date\.now|performance\.now|Math\.random|hrtime)\b|new Date\(\)/g;
      expect(readFileSync(file, 'utf8').match(ambient) ?? []).toEqual([]);
    },
  );
});
