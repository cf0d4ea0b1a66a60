import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CORE = fileURLToPath(new URL('../../core/', import.meta.url));

const files = (readdirSync(CORE, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(CORE, f));

function importsOf(source: string): string[] {
  const specs: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]);
  return specs;
}

describe('core/ stays pure', () => {
  it('has sources to check', () => expect(files.length).toBeGreaterThan(10));

  it.each(files.map((f) => [relative(CORE, f), f]))('%s imports only core/ modules', (_name, file) => {
    const outside = importsOf(readFileSync(file, 'utf8')).filter((spec) => !spec.startsWith('.') || !resolve(file, '..', spec).startsWith(CORE));
    expect(outside).toEqual([]);
  });

  it.each(files.map((f) => [relative(CORE, f), f]))('%s reads no process state', (_name, file) => {
    expect(readFileSync(file, 'utf8')).not.toMatch(/\bprocess\.(env|argv|cwd|exit|stdout|stderr|cpuUsage)/);
  });
});
