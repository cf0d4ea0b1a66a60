/** S3 user metadata: the UTF-8 bytes of every key and value, 2 KB in all. */
export const S3_METADATA_BYTES = 2048;
/** Copied from the API's response; without them a later fetch is unconditional, nothing else changes. */
const VALIDATORS = ['etag', 'last-modified'] as const;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Metadata as S3 accepts it: printable ASCII within 2 KB. What an API may send (a
 * validator thousands of characters long, or not ASCII) would fail the PUT and, with it,
 * the item on every delivery. Such a validator is left out and named under `dropped`;
 * other text (a reason quoting a response) keeps its ASCII and is shortened to fit.
 */
export function s3Metadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    if (PRINTABLE_ASCII.test(value)) out[key] = value;
    else if (isValidator(key)) dropped.push(key);
    else out[key] = value.replace(/[^\x20-\x7e]/g, '?');
  }
  for (const key of VALIDATORS) {
    if (out[key] === undefined || sizeOf(out, dropped) <= S3_METADATA_BYTES) continue;
    delete out[key];
    dropped.push(key);
  }
  if (dropped.length > 0) out.dropped = dropped.join(',');
  const over = sizeOf(out, []) - S3_METADATA_BYTES;
  if (over > 0 && out.reason !== undefined && out.reason.length > over + 3)
    out.reason = out.reason.slice(0, out.reason.length - over - 3) + '...';
  const size = sizeOf(out, []);
  if (size > S3_METADATA_BYTES)
    throw new Error(`S3 metadata of ${size} bytes is over its ${S3_METADATA_BYTES}-byte limit: ${Object.keys(out).join(', ')}`);
  return out;
}

function isValidator(key: string): boolean {
  return (VALIDATORS as readonly string[]).includes(key);
}

/** The size with `dropped` written, as it will be. */
function sizeOf(m: Record<string, string>, dropped: string[]): number {
  let n = 0;
  for (const [k, v] of Object.entries(m)) n += k.length + v.length;
  return dropped.length > 0 ? n + 'dropped'.length + dropped.join(',').length : n;
}
