/**
 * Lambda as the emulation needs it: each function runs its bundle from cdk.out, one module
 * instance per container (module scope is per container, as in Lambda), at most its
 * reserved concurrency (or the account's unreserved pool) at once; an invocation past its
 * timeout is abandoned and counted as a timeout; async invocations are retried (1 then 2
 * minutes later) and then go to their on-failure destination or are dropped; a throttled
 * async event is retried until its maximum age. Every invocation's duration is measured
 * on the virtual clock (CPU at this machine's speed plus the latencies it waited for).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { refusedByRole } from './iam.js';
import type { FunctionSpec } from './template.js';
import { cpuNow, type VirtualTime } from './virtual-time.js';

export interface FunctionStats {
  invocations: number;
  errors: number;
  timeouts: number;
  /** When the first ten timeouts started (virtual ms), to place them in a log. */
  timedOutAt: number[];
  throttles: number;
  coldStarts: number;
  /** Billed milliseconds (duration rounded up to 1 ms, plus INIT of cold starts). */
  billedMs: number;
  initMs: number;
  maxDurationMs: number;
  peakConcurrency: number;
  /** Async events Lambda gave up on (retries spent, or too old), as AWS's AsyncEventsDropped: those sent to the failure destination included. */
  asyncEventsDropped: number;
  /** Failure records delivered to the on-failure destination. */
  destinationSends: number;
  /** Failure records Lambda could not deliver (AWS's DestinationDeliveryFailures): with no destination either, the event is lost. */
  destinationDeliveryFailures: number;
  logBytes: number;
  /** The first error's first line (init or invocation), to say what went wrong. */
  firstError?: string;
}

export interface InvokeResult {
  status: 'ok' | 'error' | 'timeout' | 'throttled';
  value?: unknown;
  error?: string;
}

interface Container {
  id: number;
  handler: (event: unknown, context: unknown) => Promise<unknown>;
}

/** The function some work is done for: by its handler, or by Lambda with its role (`byLambda`). */
export type Caller = { fn: string; byLambda?: boolean };

/**
 * Whose role the work in progress runs with, across its awaits: the function an invocation runs
 * (its log lines are that function's too), or the function Lambda itself works for (`byLambda`:
 * its event source's receives and deletes, its destination's sends, made with its role in AWS).
 */
export const runningAs = new AsyncLocalStorage<Caller>();

/** Lambda's own work for a function: its requests are checked against that function's role. */
export function onBehalfOf<T>(fn: string, work: () => Promise<T>): Promise<T> {
  return runningAs.run({ fn, byLambda: true }, work);
}

/** What Lambda itself writes per invocation (START, END, REPORT lines), in bytes. */
const PLATFORM_LOG_BYTES = 340;

export interface LambdaServiceOptions {
  vt: VirtualTime;
  /** The account's concurrency limit; reserved concurrency comes out of it. @default 1000 */
  accountConcurrency: number;
  /** Resolves a template environment value (`Ref`s) to a string. */
  resolveEnv(fn: FunctionSpec): Record<string, string>;
  /** Sends a function's async invocation's failure record to its destination queue (with the function's role). */
  sendToDestination(fnId: string, queueId: string, record: unknown): Promise<void>;
  /** Lambda's REPORT line after each invocation (as CloudWatch Logs shows it). */
  report?(fnId: string, line: string): void;
}

export class LambdaService {
  readonly stats = new Map<string, FunctionStats>();
  readonly #containers = new Map<string, Container[]>();
  readonly #running = new Map<string, number>();
  #nextContainer = 1;
  #unreservedInUse = 0;
  readonly #unreserved: number;
  #importLock: Promise<unknown> = Promise.resolve();
  /** Invocations running now, and bundles being loaded (real file reads), for the idle probe. */
  active = 0;
  importing = 0;
  activity = 0;

  constructor(
    readonly functions: Map<string, FunctionSpec>,
    private readonly o: LambdaServiceOptions,
  ) {
    const reserved = [...functions.values()].reduce((n, f) => n + (f.reserved ?? 0), 0);
    this.#unreserved = o.accountConcurrency - reserved;
    if (this.#unreserved < 100 && reserved > 0) {
      throw new Error(
        `account concurrency ${o.accountConcurrency} leaves ${this.#unreserved} unreserved; Lambda keeps at least 100 unreserved, so reserving ${reserved} needs a quota of at least ${reserved + 100}`,
      );
    }
    for (const id of functions.keys()) {
      this.stats.set(id, {
        invocations: 0,
        errors: 0,
        timeouts: 0,
        timedOutAt: [],
        throttles: 0,
        coldStarts: 0,
        billedMs: 0,
        initMs: 0,
        maxDurationMs: 0,
        peakConcurrency: 0,
        asyncEventsDropped: 0,
        destinationSends: 0,
        destinationDeliveryFailures: 0,
        logBytes: 0,
      });
    }
  }

  #spec(id: string): FunctionSpec {
    const spec = this.functions.get(id);
    if (!spec) throw new Error(`no function ${id} in the template`);
    return spec;
  }

  #acquire(spec: FunctionSpec): boolean {
    const running = this.#running.get(spec.id) ?? 0;
    if (spec.reserved !== undefined) {
      if (running >= spec.reserved) return false;
    } else if (this.#unreservedInUse >= this.#unreserved) return false;
    else this.#unreservedInUse++;
    this.#running.set(spec.id, running + 1);
    const s = this.stats.get(spec.id)!;
    s.peakConcurrency = Math.max(s.peakConcurrency, running + 1);
    return true;
  }

  #release(spec: FunctionSpec): void {
    this.#running.set(spec.id, (this.#running.get(spec.id) ?? 1) - 1);
    if (spec.reserved === undefined) this.#unreservedInUse--;
  }

  /** A container from the warm pool, or a new one (a cold start: its bundle is imported). */
  async #container(spec: FunctionSpec): Promise<{ container: Container; initMs: number }> {
    const pool = this.#containers.get(spec.id) ?? [];
    this.#containers.set(spec.id, pool);
    const warm = pool.pop();
    if (warm) return { container: warm, initMs: 0 };
    const id = this.#nextContainer++;
    // INIT runs in the new container's own sandbox: billed, but it holds nobody else up.
    // It is measured in CPU time, from when this import's turn comes.
    let initCpuMs = 0;
    this.o.vt.pause();
    // One import at a time: each reads its function's variables at module scope.
    this.importing++;
    const load = this.#importLock.then(async () => {
      const started = cpuNow();
      const env = this.o.resolveEnv(spec);
      const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
      Object.assign(process.env, env);
      try {
        const [file, exportName] = spec.handler.split('.');
        if (exportName === undefined) throw new Error(`${spec.id}: handler "${spec.handler}" is not FILE.EXPORT`);
        const url = `${pathToFileURL(`${spec.assetDir}/${file}.mjs`).href}?container=${id}`;
        // Native import (no bundler in between), so every container gets its own module scope.
        // In the function's context: what its module scope writes (INIT) is its log, as in Lambda.
        const mod = await runningAs.run({ fn: spec.id }, () =>
          (new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>)(url),
        );
        const handler = mod[exportName];
        if (typeof handler !== 'function') throw new Error(`${spec.id}: ${spec.handler} is not a function`);
        return handler as Container['handler'];
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        initCpuMs = cpuNow() - started;
      }
    });
    this.#importLock = load.catch(() => undefined);
    let handler: Container['handler'];
    try {
      handler = await load;
    } finally {
      this.importing--;
      this.activity++;
      this.o.vt.resume();
    }
    const initMs = Math.round(initCpuMs);
    const s = this.stats.get(spec.id)!;
    s.coldStarts++;
    s.initMs += initMs;
    return { container: { id, handler }, initMs };
  }

  /** One synchronous invocation (an event source mapping's). */
  async invoke(fnId: string, event: unknown): Promise<InvokeResult> {
    const spec = this.#spec(fnId);
    const s = this.stats.get(fnId)!;
    if (!this.#acquire(spec)) {
      s.throttles++;
      return { status: 'throttled' };
    }
    this.active++;
    this.activity++;
    try {
      let loaded: { container: Container; initMs: number };
      try {
        loaded = await this.#container(spec);
      } catch (e) {
        s.invocations++;
        s.errors++;
        const error = `init failed: ${(e as Error).stack ?? String(e)}`;
        s.firstError ??= error.split('\n')[0];
        return { status: 'error', error };
      }
      const { container, initMs } = loaded;
      s.invocations++;
      const vt = this.o.vt;
      const started = vt.now();
      const deadline = started + spec.timeoutSeconds * 1000;
      const context = {
        callbackWaitsForEmptyEventLoop: false,
        functionName: spec.id,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${spec.id}`,
        memoryLimitInMB: String(spec.memoryMb),
        awsRequestId: randomUUID(),
        logGroupName: `/aws/lambda/${spec.id}`,
        logStreamName: `container-${container.id}`,
        getRemainingTimeInMillis: () => Math.max(0, deadline - vt.now()),
        done: () => {},
        fail: () => {},
        succeed: () => {},
      };
      let timer: ReturnType<VirtualTime['setTimeout']> | undefined;
      const timeout = new Promise<InvokeResult>((resolve) => {
        timer = vt.setTimeout(
          () => resolve({ status: 'timeout', error: `Task timed out after ${spec.timeoutSeconds} seconds` }),
          spec.timeoutSeconds * 1000,
        );
      });
      const run = runningAs.run({ fn: fnId }, () =>
        Promise.resolve()
          .then(() => container.handler(event, context))
          .then(
            (value): InvokeResult => ({ status: 'ok', value }),
            (e: unknown): InvokeResult => ({ status: 'error', error: (e as Error)?.stack ?? String(e) }),
          ),
      );
      const result = await Promise.race([run, timeout]);
      vt.clear(timer);
      const duration = vt.now() - started;
      s.billedMs += Math.ceil(Math.max(1, duration)) + initMs;
      s.maxDurationMs = Math.max(s.maxDurationMs, duration);
      s.logBytes += PLATFORM_LOG_BYTES;
      if (result.status === 'timeout') {
        s.timeouts++;
        if (s.timedOutAt.length < 10) s.timedOutAt.push(started);
      } else if (result.status === 'error') {
        s.errors++;
        s.firstError ??= (result.error ?? 'error').split('\n')[0];
      }
      this.o.report?.(
        fnId,
        `REPORT RequestId: ${context.awsRequestId} Duration: ${duration} ms Memory Size: ${spec.memoryMb} MB${initMs ? ` Init Duration: ${initMs} ms` : ''}${result.status === 'ok' ? '' : ` Status: ${result.status}${result.error ? ` ${result.error.split('\n')[0]}` : ''}`}`,
      );
      // A timed-out container is gone (Lambda stops it); the others are kept warm.
      if (result.status !== 'timeout') this.#containers.get(fnId)!.push(container);
      return result;
    } finally {
      this.active--;
      this.activity++;
      this.#release(spec);
    }
  }

  /** An async invocation's failure record, sent to its destination with the function's role: whether it arrived. */
  async #sendFailureRecord(
    fnId: string,
    queueId: string,
    condition: 'RetriesExhausted' | 'EventAgeExceeded',
    attempts: number,
    event: unknown,
    error: string | undefined,
  ): Promise<boolean> {
    const record = {
      version: '1.0',
      timestamp: new Date(this.o.vt.now()).toISOString(),
      requestContext: {
        functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${fnId}`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responsePayload: { errorMessage: error?.split('\n')[0] },
    };
    // A send the function's role may not make loses the event, as in AWS.
    return this.o.sendToDestination(fnId, queueId, record).then(
      () => true,
      (e: unknown) => {
        if (!refusedByRole(e)) throw e;
        return false;
      },
    );
  }

  /**
   * An asynchronous invocation (S3 notification, EventBridge): retried twice on error
   * (1 minute, then 2 minutes later, or as the function's config says); throttled attempts are
   * retried with backoff until the event is older than its maximum age. An event given up on is
   * dropped (counted as AWS's AsyncEventsDropped counts) and its record sent to the on-failure
   * destination, if the function has one and its role may send there.
   */
  invokeAsync(fnId: string, event: unknown): void {
    const spec = this.#spec(fnId);
    const vt = this.o.vt;
    const s = this.stats.get(fnId)!;
    const enqueued = vt.now();
    let attempts = 0;
    let throttleWait = 1000;
    const giveUp = async (condition: 'RetriesExhausted' | 'EventAgeExceeded', error?: string): Promise<void> => {
      // Counted once the record's fate is known: the progress line reads dropped − sent as lost.
      const sent = spec.onFailureQueue
        ? await this.#sendFailureRecord(fnId, spec.onFailureQueue, condition, attempts, event, error)
        : undefined;
      s.asyncEventsDropped++;
      if (sent === true) s.destinationSends++;
      if (sent === false) s.destinationDeliveryFailures++;
    };
    const tooOld = () => vt.now() - enqueued > spec.maxEventAgeSeconds * 1000;
    const attempt = async (): Promise<void> => {
      const r = await this.invoke(fnId, event);
      if (r.status === 'ok') return;
      if (r.status === 'throttled') {
        if (tooOld()) return giveUp('EventAgeExceeded');
        vt.setTimeout(() => void attempt(), throttleWait);
        throttleWait = Math.min(throttleWait * 2, 300_000);
        return;
      }
      attempts++;
      if (attempts <= spec.maxRetryAttempts) {
        vt.setTimeout(() => void (tooOld() ? giveUp('EventAgeExceeded', r.error) : attempt()), attempts * 60_000);
        return;
      }
      return giveUp('RetriesExhausted', r.error);
    };
    void attempt();
  }
}
