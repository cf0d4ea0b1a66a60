import { TransientError } from '../errors.js';

/**
 * Turns response text into JSON, or says why it is not data. A 200 whose body is an
 * HTML page, cut short, or not JSON at all is a transient failure: fetch again.
 */
export function parseJsonBody(text: string, contentType: string | undefined): unknown {
  const head = firstNonSpace(text);
  if ((contentType && /html/i.test(contentType)) || head === '<') {
    throw new TransientError('html_body', `expected JSON, got an HTML page (${contentType ?? 'no content-type'})`);
  }
  if (head === '') throw new TransientError('empty_body', 'expected JSON, got an empty body');
  try {
    return JSON.parse(text);
  } catch (e) {
    const truncated = (head === '{' || head === '[') && looksCutShort(text);
    throw new TransientError(truncated ? 'truncated_json' : 'not_json', `invalid JSON body (${(e as Error).message.slice(0, 120)})`);
  }
}

function firstNonSpace(text: string): string {
  for (let i = 0; i < text.length && i < 512; i++) {
    const ch = text[i];
    if (ch !== ' ' && ch !== '\n' && ch !== '\r' && ch !== '\t' && ch !== '\ufeff') return ch;
  }
  return '';
}

function looksCutShort(text: string): boolean {
  const tail = text.trimEnd();
  const last = tail[tail.length - 1];
  return last !== '}' && last !== ']';
}
