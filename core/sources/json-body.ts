import { TransientError } from '../errors.js';

/** UTF-8 bytes → value, with JSON.parse's contract (a SyntaxError for what is not JSON); how is the adapter's choice. */
export type JsonParser = (bytes: Uint8Array) => unknown;

const BOM = [0xef, 0xbb, 0xbf];

/**
 * Turns a response body into JSON, or says why it is not data. A 200 whose body is an
 * HTML page, cut short, or not JSON at all is a transient failure: fetch again. A
 * UTF-8 byte order mark is not part of the JSON text (RFC 8259 lets a parser ignore it).
 */
export function parseJsonBody(body: Uint8Array, contentType: string | undefined, parse: JsonParser): unknown {
  const bytes = BOM.every((b, i) => body[i] === b) ? body.subarray(BOM.length) : body;
  const head = firstNonSpace(bytes);
  if ((contentType && /html/i.test(contentType)) || head === '<') {
    throw new TransientError('html_body', `expected JSON, got an HTML page (${contentType ?? 'no content-type'})`);
  }
  if (head === '') throw new TransientError('empty_body', 'expected JSON, got an empty body');
  try {
    return parse(bytes);
  } catch (e) {
    const truncated = (head === '{' || head === '[') && looksCutShort(bytes);
    throw new TransientError(truncated ? 'truncated_json' : 'not_json', `invalid JSON body (${(e as Error).message.slice(0, 120)})`);
  }
}

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

function firstNonSpace(bytes: Uint8Array): string {
  for (let i = 0; i < bytes.length && i < 512; i++) {
    const b = bytes[i];
    if (b !== undefined && !isSpace(b)) return String.fromCharCode(b);
  }
  return '';
}

function looksCutShort(bytes: Uint8Array): boolean {
  let end = bytes.length - 1;
  while (end >= 0 && isSpace(bytes[end])) end--;
  return bytes[end] !== 0x7d && bytes[end] !== 0x5d;
}
