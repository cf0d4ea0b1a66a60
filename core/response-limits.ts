/**
 * What one response may cost, whatever the server sends: time from the request to
 * its last byte, bytes on the wire, bytes once inflated. The largest real answers
 * are about 2 MB (a MaxSold auction of 1,205 items) and 434 KB (a VIA snapshot), so
 * the defaults leave room of 8× and 30×.
 */
export interface ResponseLimits {
  /**
   * Longest a request may take, from sending it to the last body byte, 1xx answers and
   * redirects included. The idle timeouts measure silence only: a server trickling a
   * byte a second, or sending 103 Early Hints forever, would hold a request for ever. @default 60000
   */
  deadlineMs: number;
  /** Most body bytes read from one response, as sent (still compressed). @default 16 MiB */
  maxBodyBytes: number;
  /** Most bytes one body may inflate to. @default 64 MiB */
  maxInflatedBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_RESPONSE_LIMITS: ResponseLimits = {
  deadlineMs: 60_000,
  maxBodyBytes: 16 * MiB,
  maxInflatedBytes: 64 * MiB,
};

/** Bytes of an oversize body kept in quarantine (its first ones), to see what the server sent. */
export const KEPT_BYTES = 64 * 1024;

/** Redirects followed within the API's own origin; one to another origin is never followed. */
export const MAX_REDIRECTS = 5;

/** The failure reasons of a timeout, of any kind: the pace controller treats them as congestion. */
export function isTimeoutReason(reason: string): boolean {
  return reason.endsWith('_timeout') || reason.startsWith('deadline_');
}
