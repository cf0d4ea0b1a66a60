/**
 * Metadata carried inside a gzip file, in the header's comment field (RFC 1952,
 * FCOMMENT): `gunzip`, zlib and every gzip reader skip it, the compressed data and
 * its CRC are untouched, and body and metadata land on disk in one file, by one
 * rename. The comment is `api-scraper metadata ` + JSON, ASCII only.
 */

const ID1 = 0x1f;
const ID2 = 0x8b;
const DEFLATE = 8;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const MARKER = 'api-scraper metadata ';

function isGzip(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 18 && bytes[0] === ID1 && bytes[1] === ID2 && bytes[2] === DEFLATE;
}

/** True when `bytes` (a whole body, or its first bytes past the header) can carry metadata in their gzip header. */
export function carriesGzipMetadata(bytes: Uint8Array): boolean {
  return isGzip(bytes) && parseHeader(bytes) !== undefined;
}

/** Where a gzip member's header ends, with its comment's span; undefined when `bytes` is not gzip or stops inside the header. */
function parseHeader(bytes: Uint8Array): { end: number; comment?: [number, number] } | undefined {
  if (bytes.byteLength < 10 || bytes[0] !== ID1 || bytes[1] !== ID2 || bytes[2] !== DEFLATE) return undefined;
  const flags = bytes[3]!;
  let at = 10;
  if (flags & FEXTRA) {
    if (bytes.byteLength < at + 2) return undefined;
    at += 2 + (bytes[at]! | (bytes[at + 1]! << 8));
  }
  const zeroTerminated = (): number | undefined => {
    const zero = bytes.indexOf(0, at);
    return zero < 0 ? undefined : zero;
  };
  if (flags & FNAME) {
    const zero = zeroTerminated();
    if (zero === undefined) return undefined;
    at = zero + 1;
  }
  let comment: [number, number] | undefined;
  if (flags & FCOMMENT) {
    const zero = zeroTerminated();
    if (zero === undefined) return undefined;
    comment = [at, zero];
    at = zero + 1;
  }
  if (flags & FHCRC) at += 2;
  return at <= bytes.byteLength ? { end: at, comment } : undefined;
}

/** True when `bytes` start a gzip member whose header goes on past them: read more to find its metadata. */
export function gzipHeaderIncomplete(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 3 && bytes[0] === ID1 && bytes[1] === ID2 && bytes[2] === DEFLATE && parseHeader(bytes) === undefined;
}

/**
 * The same gzip data with `metadata` in its header (any name, extra field or comment
 * the header had is dropped); undefined when `gz` is not gzip.
 */
export function withGzipMetadata(gz: Uint8Array, metadata: Record<string, string>): Uint8Array | undefined {
  if (!carriesGzipMetadata(gz)) return undefined;
  const header = parseHeader(gz)!;
  // JSON escapes control characters; escaping the rest of non-ASCII keeps the comment ISO-8859-1 and NUL-free.
  const text = MARKER + JSON.stringify(metadata).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const out = new Uint8Array(10 + text.length + 1 + gz.byteLength - header.end);
  out.set(gz.subarray(0, 10), 0);
  out[3] = FCOMMENT;
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  out[10 + text.length] = 0;
  out.set(gz.subarray(header.end), 11 + text.length);
  return out;
}

/** The metadata in the header of gzip data (or of its first bytes); null when it has none. */
export function gzipMetadata(head: Uint8Array): Record<string, string> | null {
  const comment = parseHeader(head)?.comment;
  if (!comment) return null;
  const text = Buffer.from(head.buffer, head.byteOffset + comment[0], comment[1] - comment[0]).toString('latin1');
  if (!text.startsWith(MARKER)) return null;
  try {
    return JSON.parse(text.slice(MARKER.length)) as Record<string, string>;
  } catch {
    return null;
  }
}
