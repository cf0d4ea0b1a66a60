import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseJsonBytes } from '../../adapters/json-bytes.js';
import { MAX_LOTS, maxsoldItemsBody } from '../../simulator/index.js';
import { fixtureBytes, VIA_FIXTURES } from '../helpers/fixtures.js';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** The outcome of parsing: the value, or the error's class (messages may differ in position wording). */
function outcome(parse: () => unknown): unknown {
  try {
    return { value: parse() };
  } catch (e) {
    return { error: (e as Error).constructor.name };
  }
}

const same = (bytes: Buffer) => expect(outcome(() => parseJsonBytes(bytes))).toEqual(outcome(() => JSON.parse(bytes.toString('utf8'))));

/** A body over the size that is parsed whole, made of `filler` array elements around a payload. */
function large(payload: string, elements = 600): string {
  const filler = Array.from({ length: elements }, (_, i) => JSON.stringify({ i, text: 'ü'.repeat(100) + i }));
  return `{"status":"success","auction":{"id":1,"items":[${filler.join(',')}]},"extra":${payload}}`;
}

/** The longest text JSON.parse was given while `fn` ran. */
function longestParsed(fn: () => void): number {
  const real = JSON.parse;
  let longest = 0;
  const spy = vi.spyOn(JSON, 'parse').mockImplementation((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
    longest = Math.max(longest, text.length);
    return real(text, reviver);
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return longest;
}

describe('parseJsonBytes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never makes a string V8 would put in its large-object space (128 KiB) out of a large auction', () => {
    const body = utf8(maxsoldItemsBody(100007, { limit: 2 * MAX_LOTS })!);
    expect(body.byteLength).toBeGreaterThan(150_000);
    expect(longestParsed(() => parseJsonBytes(body))).toBeLessThan(64 * 1024);
    expect(longestParsed(() => parseJsonBytes(fixtureBytes('maxsold/auction-104375.json')))).toBeLessThan(64 * 1024);
  });

  it('gives what JSON.parse gives on every recorded body', () => {
    for (const path of [
      'maxsold/auction-104375.json',
      'maxsold/auction-102916-nextdata.json',
      'maxsold/item-104375-7561262.json',
      ...VIA_FIXTURES.map((f) => f.path),
    ]) {
      same(fixtureBytes(path));
    }
  });

  it("gives what JSON.parse gives on the simulator's largest auctions", () => {
    for (const id of [100000, 100001, 100007, 100042]) same(utf8(maxsoldItemsBody(id, { limit: 2 * MAX_LOTS })!));
  });

  it('keeps an array of large arrays, a large root array and nested large arrays', () => {
    same(utf8(JSON.stringify({ a: [large('1'), large('2')].map((t) => JSON.parse(t)) })));
    same(utf8(JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ i, s: 'x'.repeat(40) })))));
    same(
      utf8(
        JSON.stringify({ outer: Array.from({ length: 4 }, () => ({ inner: Array.from({ length: 400 }, (_, i) => [i, 'é'.repeat(50)]) })) }),
      ),
    );
  });

  it('a key repeated after the large array wins, as in JSON.parse', () => {
    same(utf8(large('1').replace('"items":[', '"items":[').replace(/}$/, ',"auction":{"items":[]}}')));
    const repeated = large('1').replace('{"status"', '{"auction":{"items":"first"},"status"');
    same(utf8(repeated));
  });

  it('keeps "__proto__" as an own key holding the array', () => {
    const body = large('1').replace('"items":[', '"__proto__":[');
    const value = parseJsonBytes(utf8(body)) as { auction: Record<string, unknown> };
    expect(Object.hasOwn(value.auction, '__proto__')).toBe(true);
    expect(Array.isArray(value.auction['__proto__'])).toBe(true);
    expect(Object.getPrototypeOf(value.auction)).toBe(Object.prototype);
    same(utf8(body));
  });

  it('escaped quotes and backslashes inside strings do not end them', () => {
    same(utf8(large(JSON.stringify('a "quoted" \\ back\\slash \\" and ] } [ {'))));
    same(utf8(large('1').replace('"text":"', '"text":"\\\\\\"],{\\\\')));
  });

  it.each([
    ['cut short', (t: string) => t.slice(0, t.length - 3000)],
    ['a missing comma between elements', (t: string) => t.replace('},{', '} {')],
    ['a doubled comma', (t: string) => t.replace('},{', '},,{')],
    ['a trailing comma', (t: string) => t.replace(']},"extra"', ',]},"extra"')],
    ['an unclosed string', (t: string) => t.slice(0, -2) + '"abc'],
    ['a stray bracket', (t: string) => t.replace('},{', '}],{')],
    ['HTML', () => '<html>' + 'x'.repeat(200_000) + '</html>'],
  ])('throws a SyntaxError where JSON.parse does: %s', (_, mangle) => {
    const bytes = utf8(mangle(large('1')));
    expect(() => JSON.parse(bytes.toString('utf8'))).toThrow(SyntaxError);
    expect(() => parseJsonBytes(bytes)).toThrow(SyntaxError);
  });

  it('equals JSON.parse on arbitrary JSON values made large', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 3 }), (value, depth) => {
        // Each element over 400 bytes: every body is past the size parsed whole, so the split path runs.
        let wrapped: unknown = { items: Array.from({ length: 300 }, (_, i) => ({ i, value, pad: 'ß'.repeat(200) })) };
        for (let d = 0; d < depth; d++) wrapped = d % 2 ? [wrapped, value] : { nested: wrapped, value };
        const bytes = utf8(JSON.stringify(wrapped));
        expect(bytes.byteLength).toBeGreaterThan(96 * 1024);
        same(bytes);
      }),
      { numRuns: 60, seed: 4242 },
    );
  });
});
