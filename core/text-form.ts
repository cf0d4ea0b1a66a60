import { decodeEntities } from './html-entities.js';

/**
 * How a parsed body holds its strings, and the few things field readers do to text
 * that depend on it. Every string a reader puts in a row goes through one of these.
 */
export interface TextForm {
  /** False when the string holds something that is not Unicode text (see `repair`). */
  valid(s: string): boolean;
  /** The string with U+FFFD in place of each part that is not Unicode text. */
  repair(s: string): string;
  /** HTML character references decoded (see html-entities.ts). */
  decodeEntities(s: string): string;
  /** `String.prototype.trim` of the text. */
  trim(s: string): string;
  /** A string from outside the body (a key, a name) in this form. */
  own(s: string): string;
}

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * Strings as JSON.parse makes them from decoded text. Two things in them are not text:
 * a lone surrogate, which only a `\ud800`-style escape can produce, and U+FFFD where
 * the decoder met bytes that are not UTF-8. Each check runs only when the body can
 * hold that case, so a clean body costs nothing.
 * @param escapes the body has a `\u` escape of a surrogate
 * @param replaced the body's bytes were not all UTF-8: its U+FFFD stand for them
 * (a U+FFFD the API sent itself, in such a body, is counted with them)
 */
export function unicodeText(escapes: boolean, replaced: boolean): TextForm {
  return {
    valid: (s) => !(escapes && LONE_SURROGATE.test(s)) && !(replaced && s.includes('\ufffd')),
    repair: (s) => (escapes ? s.replace(LONE_SURROGATES, '\ufffd') : s),
    decodeEntities,
    trim: (s) => s.trim(),
    own: (s) => s,
  };
}

const BACKSLASH = 0x5c;
const U = 0x75;
const isHex89AF = (b: number | undefined) => b !== undefined && ((b >= 0x38 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66));

/** Whether JSON text (UTF-8 bytes) can parse to a string with a lone surrogate: it escapes one (`\\uD800`…`\\uDFFF`). */
export function escapesSurrogates(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(BACKSLASH); i !== -1; i = bytes.indexOf(BACKSLASH, i + 1)) {
    if (bytes[i + 1] === U && ((bytes[i + 2] ?? 0) | 0x20) === 0x64 && isHex89AF(bytes[i + 3])) return true;
  }
  return false;
}
