import { describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import { hostRegistry } from '../../core/hosts.js';
import { runPipeline, type PipelineContext } from '../../core/pipeline.js';
import { PermanentError } from '../../core/errors.js';
import type { HttpClient, ObjectStore, Processor, ProcessResult } from '../../core/ports.js';
import { DEFAULT_RETRY_POLICY } from '../../core/retry-policy.js';
import { RunStats } from '../../core/run-stats.js';
import { REAL_ORIGINS } from '../../core/sources/index.js';
import type { WorkItem } from '../../core/work-item.js';

/** An in-memory store: the pipeline's behaviour, not the disk's, is under test here. */
function memoryStore(): ObjectStore & { keys: Map<string, Uint8Array> } {
  const keys = new Map<string, Uint8Array>();
  return {
    keys,
    put: async (k, b) => void keys.set(k, b),
    get: async (k) => (keys.has(k) ? { body: keys.get(k)!, metadata: {} } : undefined),
    head: async (k) => (keys.has(k) ? {} : undefined),
    async *list(prefix) {
      for (const k of keys.keys()) if (k.startsWith(prefix)) yield k;
    },
    delete: async (ks) => ks.forEach((k) => keys.delete(k)),
  };
}

function context(http: HttpClient, processor: Processor, signal?: AbortSignal): PipelineContext {
  return {
    http,
    processor,
    signal,
    store: memoryStore(),
    stats: new RunStats(),
    origins: REAL_ORIGINS,
    policy: DEFAULT_RETRY_POLICY,
    clock: systemClock,
    random: Math.random,
    hostFor: hostRegistry({ adaptive: false, maxConcurrency: 4 }, systemClock).hostFor,
  };
}

const notFound: HttpClient = { get: async () => Promise.reject(new PermanentError('missing', 'http_404')), close: async () => {} };
const unused: Processor = { description: 'unused', process: async () => Promise.reject(new Error('not called')), close: async () => {} };

describe('runPipeline streams its plan', () => {
  it('pulls a million-id plan lazily: stopping after 1,000 items has read barely more than 1,000', async () => {
    let pulled = 0;
    function* plan(): Generator<WorkItem> {
      for (let id = 1; id <= 1_000_000; id++) {
        pulled++;
        yield { source: 'maxsold', id: String(id), dt: '2026-11-26' };
      }
    }
    const ac = new AbortController();
    const ctx = context(
      {
        get: async (url, o) => {
          if (ctx.stats.totalFinished() >= 1000) ac.abort(new Error('enough'));
          return notFound.get(url, o);
        },
        close: async () => {},
      },
      unused,
      ac.signal,
    );
    await runPipeline(plan(), ctx, { lanes: 8, skipExisting: false, withBids: false });
    expect(ctx.stats.total('missing')).toBeGreaterThanOrEqual(1000);
    expect(pulled).toBeLessThanOrEqual(1000 + 8 + 1);
  });

  it('slow processing holds fetching back instead of buffering bodies', async () => {
    let fetched = 0;
    let processed = 0;
    let maxWaiting = 0;
    const http: HttpClient = {
      get: async () => {
        fetched++;
        maxWaiting = Math.max(maxWaiting, fetched - processed);
        return { status: 200, headers: {}, body: new Uint8Array(8) };
      },
      close: async () => {},
    };
    const slow: Processor = {
      description: 'slow',
      process: async (): Promise<ProcessResult> => {
        await new Promise((r) => setTimeout(r, 5));
        processed++;
        return { kind: 'failed', error: 'permanent', outcome: 'missing', reason: 'test' };
      },
      close: async () => {},
    };
    const items: WorkItem[] = Array.from({ length: 200 }, (_, i) => ({ source: 'maxsold', id: String(i + 1), dt: '2026-11-26' }));
    const ctx = context(http, slow);
    await runPipeline(items, ctx, { lanes: 6, skipExisting: false, withBids: false });
    expect(processed).toBe(200);
    expect(maxWaiting).toBeLessThanOrEqual(6);
  });
});

describe('runPipeline and the abort signal', () => {
  it('many lanes waiting on one host put no more than a few listeners on any signal: Node’s leak warning stays quiet', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const ctx = {
        ...context(notFound, unused, new AbortController().signal),
        hostFor: hostRegistry({ adaptive: false, maxConcurrency: 1 }, systemClock).hostFor,
      };
      const items: WorkItem[] = Array.from({ length: 200 }, (_, i) => ({ source: 'maxsold', id: String(i + 1), dt: '2026-11-26' }));
      await runPipeline(items, ctx, { lanes: 50, skipExisting: false, withBids: false });
      await new Promise((r) => setImmediate(r));
      expect(ctx.stats.total('missing')).toBe(200);
      expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('an abort of the run reaches every lane: no item is taken after it', async () => {
    const ac = new AbortController();
    const ctx = context(
      {
        get: async (url, o) => {
          if (ctx.stats.requests >= 20) ac.abort(new Error('stop'));
          return notFound.get(url, o);
        },
        close: async () => {},
      },
      unused,
      ac.signal,
    );
    const items: WorkItem[] = Array.from({ length: 500 }, (_, i) => ({ source: 'maxsold', id: String(i + 1), dt: '2026-11-26' }));
    await runPipeline(items, ctx, { lanes: 10, skipExisting: false, withBids: false });
    expect(ctx.stats.requests).toBeLessThanOrEqual(20 + 10);
    expect(ctx.stats.stopReason).toBe('stop');
  });
});
