import { describe, expect, it } from 'vitest';
import { BYTE_TEXT, fromByteString, toByteString, trimByteString } from '../../core/byte-text.js';
import { decodeEntities } from '../../core/html-entities.js';

/** Strings whose ends and references are where byte strings and text differ. */
const TRICKY = [
  'plain ascii',
  '  padded  ',
  '\t\n mixed ascii space \r\n',
  'Café',
  ' Chaise à ',
  'à',
  '\u00a0nbsp both ends\u00a0',
  ' \u00a0 \u00a0 nested spaces \u00a0 ',
  '\u2003em space\u3000',
  '\ufeffbom',
  'emoji 😀 ',
  'ends in a lone-A0 byte: \u00e0',
  'only spaces \u00a0',
  '\u00a0',
  '',
  '   ',
  'O&#39;Connor &amp; caf&eacute; &#x2019;',
  '&nbsp;Lamp&nbsp;',
  ' &#128512; ',
  'R&D &bogus; &#0; a & b',
  '&eacute;t&eacute;',
];

describe('byte strings: each character one UTF-8 byte', () => {
  it('round-trip through toByteString and fromByteString', () => {
    for (const s of TRICKY) {
      const b = toByteString(s);
      expect([...b].every((c) => c.charCodeAt(0) <= 0xff)).toBe(true);
      expect(Buffer.from(b, 'latin1').toString('utf8')).toBe(s);
      expect(fromByteString(b)).toBe(s);
    }
  });

  it('trimByteString trims exactly what String.prototype.trim trims from the text', () => {
    for (const s of TRICKY) expect([s, fromByteString(trimByteString(toByteString(s)))]).toEqual([s, s.trim()]);
  });

  it('a plain trim would cut "à" (C3 A0) in half; trimByteString does not', () => {
    const b = toByteString('voilà');
    expect(b.trim()).not.toBe(b);
    expect(trimByteString(b)).toBe(b);
  });

  it('BYTE_TEXT.decodeEntities on a byte string gives the byte string of the decoded text', () => {
    for (const s of TRICKY) expect([s, fromByteString(BYTE_TEXT.decodeEntities(toByteString(s)))]).toEqual([s, decodeEntities(s)]);
  });
});
