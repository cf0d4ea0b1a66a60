import { decodeHTMLStrict } from 'entities';

/**
 * Decodes HTML character references: every named reference HTML5 defines (`&oacute;`,
 * `&ntilde;`, `&NotNestedLessLess;`: 2,125 names), and numeric ones (`&#39;`, `&#x2019;`),
 * each ending in `;`, decoded once (`&amp;eacute;` is `&eacute;`). A reference without
 * its `;` stays as written (`AT&T`, `&copy 2020`). Numeric references follow HTML5:
 * 0, surrogates and those past U+10FFFF become U+FFFD, 128–159 map as windows-1252 does.
 * MaxSold encodes titles (`O&#39;Connor`, `93.7 &#38; 105.5`) but not descriptions, so
 * only titles are decoded.
 */
export function decodeEntities(text: string): string {
  return text.indexOf('&') === -1 ? text : decodeHTMLStrict(text);
}
