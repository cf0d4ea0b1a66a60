/**
 * JSON.parse of UTF-8 bytes without one large string. V8 allocates every string over
 * 128 KiB in its large-object space, one mapping per string that is unmapped again at
 * the next collection; on this project's VMs that costs ~0.6 ms per 200 KB body (the
 * decode itself is a copy). A large array (a MaxSold auction's items) is therefore
 * parsed element by element, each element a small string, and the rest of the body as
 * a small skeleton with a marker where the array was. The value is the one JSON.parse
 * gives; whenever the shortcut cannot be sure of that (an element that does not parse,
 * a key repeated over the marker, brackets that do not match), the whole body is
 * parsed the ordinary way, which also gives JSON.parse's own error.
 */

/** Bodies up to this size are decoded and parsed whole: their text stays a regular string. */
const WHOLE_MAX = 96 * 1024;
/** An array spanning at least this many bytes is parsed one element at a time. */
const SPLIT_MIN = 16 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** The bytes' text as JSON: the value JSON.parse gives, or its SyntaxError. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.byteLength > WHOLE_MAX) {
    const value = parseSplit(buf);
    if (value !== FAILED) return value;
  }
  return JSON.parse(buf.toString('utf8'));
}

const FAILED = Symbol('failed');

/** An open container while scanning. */
interface Open {
  array: boolean;
  start: number;
  /** Arrays: elements begun so far (the index of a child container). */
  count: number;
  /** Objects: the span of the key whose value is being read. */
  keyStart: number;
  keyEnd: number;
  /** Where this container sits in its parent: a key's span, or an index. */
  inParent: { keyStart: number; keyEnd: number } | number | undefined;
  /** This array's element boundaries start at this index of the shared list. */
  boundsFrom: number;
}

/** An array parsed by elements: its span, element boundaries, and the path to it. */
interface Split {
  start: number;
  end: number;
  bounds: number[];
  path: ({ keyStart: number; keyEnd: number } | number)[];
}

function parseSplit(buf: Buffer): unknown {
  const splits = scan(buf);
  if (splits === undefined || splits.length === 0) return FAILED;
  try {
    const marker = `\u0000split-${Math.random().toString(36).slice(2)}`;
    let skeleton = '';
    let at = 0;
    splits.forEach((s, i) => {
      skeleton += buf.toString('utf8', at, s.start) + JSON.stringify(marker + i);
      at = s.end + 1;
    });
    skeleton += buf.toString('utf8', at, buf.byteLength);
    const root: unknown = JSON.parse(skeleton);
    if (splits.length === 1 && splits[0]!.path.length === 0) return root === marker + 0 ? elements(buf, splits[0]!) : FAILED;
    for (let i = 0; i < splits.length; i++) {
      const s = splits[i]!;
      // Only a split of the whole body has no path, and it is the only split (above).
      const lastStep = s.path[s.path.length - 1];
      if (lastStep === undefined) return FAILED;
      let parent: unknown = root;
      for (let p = 0; p < s.path.length - 1; p++) parent = child(parent, key(buf, s.path[p]!));
      const last = key(buf, lastStep);
      if (child(parent, last) !== marker + i) return FAILED;
      // As JSON.parse defines it: an own property, even for "__proto__".
      Object.defineProperty(parent, last, { value: elements(buf, s), writable: true, enumerable: true, configurable: true });
    }
    return root;
  } catch {
    return FAILED;
  }
}

/** Every array worth splitting that no other such array contains, in body order; undefined when the structure is off. */
function scan(buf: Buffer): Split[] | undefined {
  const n = buf.byteLength;
  const stack: Open[] = [];
  const bounds: number[] = [];
  let splits: Split[] = [];
  let stringStart = -1;
  let stringEnd = -1;
  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (c === QUOTE) {
      let j = i + 1;
      for (;;) {
        j = buf.indexOf(QUOTE, j);
        if (j < 0) return undefined;
        let backslashes = 0;
        while (buf[j - 1 - backslashes] === BACKSLASH) backslashes++;
        if ((backslashes & 1) === 0) break;
        j++;
      }
      stringStart = i;
      stringEnd = j + 1;
      i = j;
    } else if (c === COLON) {
      const top = stack[stack.length - 1];
      if (!top || top.array || stringStart < 0) return undefined;
      top.keyStart = stringStart;
      top.keyEnd = stringEnd;
    } else if (c === COMMA) {
      const top = stack[stack.length - 1];
      if (top?.array) {
        top.count++;
        bounds.push(i + 1);
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      const top = stack[stack.length - 1];
      const inParent = top === undefined ? undefined : top.array ? top.count : { keyStart: top.keyStart, keyEnd: top.keyEnd };
      const array = c === OPEN_ARRAY;
      if (array) bounds.push(i + 1);
      stack.push({ array, start: i, count: 0, keyStart: -1, keyEnd: -1, inParent, boundsFrom: array ? bounds.length - 1 : -1 });
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      const open = stack.pop();
      if (!open || open.array !== (c === CLOSE_ARRAY)) return undefined;
      if (!open.array) continue;
      if (i - open.start >= SPLIT_MIN) {
        // Splits found inside this one are parsed with its elements.
        splits = splits.filter((s) => s.start < open.start);
        const path = stack.slice(1).map((o) => o.inParent!);
        if (open.inParent !== undefined) path.push(open.inParent);
        splits.push({ start: open.start, end: i, bounds: [...bounds.slice(open.boundsFrom), i + 1], path });
      }
      bounds.length = open.boundsFrom;
    }
    if (c !== QUOTE && c !== COLON && c > 0x20) stringStart = -1;
  }
  return stack.length === 0 ? splits : undefined;
}

/** The parsed elements of a split array (each one small: no large string). */
function elements(buf: Buffer, s: Split): unknown[] {
  const out: unknown[] = new Array(s.bounds.length - 1);
  // An element of nothing (`[ ]`, `[1,,2]`) throws here, and the whole body is parsed instead.
  for (let k = 0; k + 1 < s.bounds.length; k++) out[k] = parseJsonBytes(buf.subarray(s.bounds[k]!, s.bounds[k + 1]! - 1));
  return out;
}

function key(buf: Buffer, k: { keyStart: number; keyEnd: number } | number): string | number {
  return typeof k === 'number' ? k : (JSON.parse(buf.toString('utf8', k.keyStart, k.keyEnd)) as string);
}

function child(parent: unknown, k: string | number): unknown {
  if (typeof parent !== 'object' || parent === null || !Object.hasOwn(parent, k)) throw new Error('path');
  return (parent as Record<string | number, unknown>)[k];
}
