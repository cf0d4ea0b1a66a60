import { toByteString } from './byte-text.js';

/**
 * Decodes HTML character references. MaxSold encodes titles (`O&#39;Connor`,
 * `93.7 &#38; 105.5`) but not descriptions, so callers decode titles only, once.
 */
const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', mdash: '\u2014', ndash: '\u2013',
  hellip: '\u2026', lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', deg: '\u00b0',
  eacute: '\u00e9', egrave: '\u00e8', ecirc: '\u00ea', agrave: '\u00e0', acirc: '\u00e2', ccedil: '\u00e7',
  ocirc: '\u00f4', icirc: '\u00ee', ucirc: '\u00fb', Eacute: '\u00c9', frac12: '\u00bd', frac14: '\u00bc',
  frac34: '\u00be', times: '\u00d7', copy: '\u00a9', reg: '\u00ae', trade: '\u2122', laquo: '\u00ab', raquo: '\u00bb',
};

const REFERENCE = /&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/g;

/** @param byteString `text` is a byte string (see byte-text.ts), and so is the result. */
export function decodeEntities(text: string, byteString = false): string {
  if (text.indexOf('&') === -1) return text;
  return text.replace(REFERENCE, (whole, ref: string) => {
    let decoded: string | undefined;
    if (ref.charCodeAt(0) === 35) {
      const code = ref.charCodeAt(1) === 120 || ref.charCodeAt(1) === 88 ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)) decoded = String.fromCodePoint(code);
    } else decoded = NAMED[ref];
    if (decoded === undefined) return whole;
    return byteString ? toByteString(decoded) : decoded;
  });
}
