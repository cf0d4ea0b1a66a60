import { decodeEntities } from './html-entities.js';
import type { TextForm } from './text-form.js';

/**
 * Byte strings: UTF-8 text decoded byte for byte (latin1), so that each character of
 * the string is one byte of its UTF-8 encoding. A MaxSold body is parsed this way
 * (see processResponse): decoding is a copy, the one-byte string parses faster, and its
 * strings reach the Arrow columns as the same bytes, never decoded and encoded again.
 * Only the few things a normaliser does to text need to know; they are here, as the
 * TextForm `BYTE_TEXT`.
 */
// ignoreBOM: a U+FEFF inside a string is text, not a byte order mark to drop.
const DECODER = new TextDecoder('utf-8', { ignoreBOM: true });
const ENCODER = new TextEncoder();
const NON_ASCII = /[\u0080-\uffff]/;

/** A string as a byte string (ASCII is the same either way). */
export function toByteString(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  const bytes = ENCODER.encode(s);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]);
  return out;
}

/** A byte string's text. */
export function fromByteString(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return DECODER.decode(bytes);
}

const isAsciiSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

/**
 * `String.prototype.trim` of a byte string's text. ASCII white space is stripped here;
 * an end left on a non-ASCII byte may be Unicode white space (U+00A0 is C2 A0, and a
 * plain `trim` would take a lone A0 off the end of "à"), so that rare string is decoded,
 * trimmed and encoded again.
 */
export function trimByteString(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isAsciiSpace(s.charCodeAt(start))) start++;
  while (end > start && isAsciiSpace(s.charCodeAt(end - 1))) end--;
  const t = start === 0 && end === s.length ? s : s.slice(start, end);
  if (t.length > 0 && (t.charCodeAt(0) > 0x7f || t.charCodeAt(t.length - 1) > 0x7f)) return toByteString(fromByteString(t).trim());
  return t;
}

/**
 * Byte strings as a TextForm. Such a body is valid UTF-8 without `\u` escapes (see
 * processResponse), so every string in it is valid text; an entity is decoded on the
 * text and the result turned back into bytes.
 */
export const BYTE_TEXT: TextForm = {
  valid: () => true,
  repair: (s) => s,
  decodeEntities: (s) => (s.indexOf('&') === -1 ? s : toByteString(decodeEntities(fromByteString(s)))),
  trim: trimByteString,
  own: toByteString,
};
