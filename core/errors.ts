/**
 * Errors are typed by what happens next, not by where they came from
 * (see docs/reliability.md, "Errors, by what happens next").
 */

/** Retry now: connection reset, timeout, 5xx, a truncated or non-JSON body. Backoff with full jitter. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(
    readonly reason: string,
    message = reason,
  ) {
    super(message);
  }
}

/** Retry later: 429/503. Wait at least `retryAfterMs` (when the server said) before the next request to the host. */
export class ThrottledError extends Error {
  override readonly name = 'ThrottledError';
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}${retryAfterMs === undefined ? '' : `, Retry-After ${retryAfterMs} ms`}`);
  }
}

/** Permanent outcomes an answer can have, besides a body. */
export type PermanentOutcome = 'missing' | 'empty' | 'redirected';

/** Permanent: 404/410, an auction with no items, a redirect not followed. Recorded, never retried. */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
  constructor(
    readonly outcome: PermanentOutcome,
    readonly reason: string,
    message = `${outcome}: ${reason}`,
  ) {
    super(message);
  }
}

/**
 * A redirect not followed: to another origin, without a Location, or one past the
 * limit. Permanent (the API has moved: a person should look), with where it pointed
 * and the redirects followed before it (each one a request made).
 */
export class RedirectedError extends PermanentError {
  override readonly name = 'RedirectedError';
  constructor(
    reason: string,
    readonly location: string,
    readonly followed: number,
  ) {
    super('redirected', reason, `redirected: ${reason} (${location})`);
  }
}

/**
 * Too large: a body past the size limit, on the wire or once inflated. Quarantined at
 * once (fetching it again would cost the same), with its first bytes: `head`, as gzip.
 */
export class TooLargeError extends Error {
  override readonly name = 'TooLargeError';
  readonly reason = 'too_large';
  constructor(
    readonly limit: number,
    readonly head: Uint8Array,
    message: string,
  ) {
    super(message);
  }
}

/** Poison: a body that parses but fails the schema. Quarantined with its raw bytes once attempts run out. */
export class PoisonError extends Error {
  override readonly name = 'PoisonError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Fatal: the run cannot go on (disk full, output not writable, retry budget spent).
 * Stops taking work; what is in flight ends; the report says why.
 */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}

/** `e` itself when it is a FatalError, else a FatalError saying what was being done, with `e` as its cause. */
export function asFatal(e: unknown, doing: string): FatalError {
  return e instanceof FatalError ? e : new FatalError(`${doing}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
}
