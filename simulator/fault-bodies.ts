/**
 * What failing responses look like. The real API's error bodies were never recorded, so
 * these are plausible stand-ins: small HTML pages, and JSON that parses but is wrong.
 */

function page(title: string, text: string): string {
  return `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>\n`;
}

export const NOT_FOUND_HTML = page('404 Not Found', 'The requested URL was not found on this server.');
export const FORBIDDEN_HTML = page('403 Forbidden', 'You don&#39;t have permission to access this resource.');
export const SERVER_ERROR_HTML = page(
  '500 Internal Server Error',
  'The server encountered an internal error and was unable to complete your request.',
);
export const METHOD_HTML = page('405 Method Not Allowed', 'Only GET and HEAD are allowed.');
/** A 200 page in place of JSON, as a CDN or maintenance proxy would send. */
export const MAINTENANCE_HTML = page(
  'We&#39;ll be right back',
  'MaxSold is undergoing scheduled maintenance. Please try again in a few minutes.',
);
export const TOO_MANY_JSON = '{"status":"error","message":"Too many requests."}';
export const UNAVAILABLE_JSON = '{"status":"error","message":"Server busy, try again."}';

/** Parses, has the envelope, but `auction.id` and `auction.items` have the wrong types. */
export const SCHEMA_BODY = '{"status":"success","message":"Found 1 item(s).","auction":{"id":"oops","items":"none"}}';

/** About the first half of a body, cut on a character boundary, so it cannot parse. */
export function truncatedText(text: string): string {
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}
