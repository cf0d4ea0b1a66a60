import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export function fixtureText(path: string): string {
  return readFileSync(FIXTURES + path, 'utf8');
}

export function fixtureBytes(path: string): Buffer {
  return readFileSync(FIXTURES + path);
}

/** Recorded VIA snapshots with their capture time (from the file name, UTC). */
export const VIA_FIXTURES = [
  'alldata-20250419T0254.json',
  'alldata-20250902T0426.json',
  'alldata-20260430T0432.json',
  'alldata-20260628T0453.json',
  'alldata-20260703T0434.json',
  'alldata-20260716T0425.json',
].map((name) => {
  const m = /(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})/.exec(name)!;
  return { name, path: `via/${name}`, at: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00Z` };
});
