/**
 * The deployed functions' settings by default: the stack's (cdk/config.ts sets each
 * function's environment from them) and a handler's when its environment lacks the
 * variable (`scraper invoke`, `sam local` with a partial --env-vars file).
 */
export const FUNCTION_DEFAULTS = {
  /** First MaxSold auction id the dispatcher's cursor starts from (MAXSOLD_START_ID). */
  maxsoldStartId: 104_000,
  /** New auction ids planned per MaxSold dispatch (MAXSOLD_WINDOW). */
  maxsoldWindow: 200,
  /** Requests one fetch invocation keeps open (FETCH_CONCURRENCY). */
  fetchConcurrencyPerInvocation: 4,
  /** Requests one fetch invocation starts per second (FETCH_RATE). */
  fetchRate: 8,
  /** Receives before a work item goes to the dead-letter queue (MAX_RECEIVE_COUNT). */
  maxReceiveCount: 8,
} as const;
