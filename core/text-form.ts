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

/** Whether JSON text can parse to a string with a lone surrogate: it escapes one. */
export function escapesSurrogates(text: string): boolean {
  return text.indexOf('\\u') !== -1 && /\\u[dD][89a-fA-F]/.test(text);
}
