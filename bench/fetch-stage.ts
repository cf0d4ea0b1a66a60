import { availableParallelism } from 'node:os';
import { parquetCodec } from '../adapters/parquet.js';
import { FsObjectStore } from '../adapters/fs-store.js';
import { lambdaFetchContext } from '../adapters/lambda/fetch-deps.js';
import { UndiciHttpClient } from '../adapters/undici-http.js';
import { runPipeline } from '../core/pipeline.js';
import { buildReport, type RunReport } from '../core/report.js';
import { DEFAULT_RETRY_POLICY } from '../core/retry-policy.js';
import { RunStats } from '../core/run-stats.js';
import type { WorkItem } from '../core/work-item.js';

export interface FetchStageOptions {
  plan: Iterable<WorkItem>;
  out: string;
  baseUrl: string;
  concurrency: number;
}

/**
 * The fetch stage alone: request, gunzip + SHA-256 + one parse + validation, raw
 * object and metadata written; no rows, no Parquet. It is the fetch Lambda's job,
 * so it reuses that composition (`lambdaFetchContext`, which processes with
 * `normalise: false`) under the local pipeline and retry policy, because
 * `scrape()` has no option to skip normalisation.
 */
export async function runFetchStage(o: FetchStageOptions): Promise<RunReport> {
  const http = new UndiciHttpClient({ connections: o.concurrency });
  const fetch = lambdaFetchContext(http, { concurrency: o.concurrency, baseUrl: o.baseUrl });
  const stats = new RunStats();
  const startedAt = Date.now();
  const cpu0 = process.cpuUsage();
  try {
    await runPipeline(
      o.plan,
      { ...fetch, policy: DEFAULT_RETRY_POLICY, stats, store: new FsObjectStore(o.out), codec: parquetCodec },
      // The same lane count scrape() uses for inline processing.
      { lanes: o.concurrency + 2, skipExisting: false, withBids: false },
    );
  } finally {
    await Promise.all([http.close(), fetch.processor.close()]);
  }
  const cpu = process.cpuUsage(cpu0);
  return buildReport(stats, {
    command: 'bench fetch-stage',
    startedAt,
    finishedAt: Date.now(),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    cores: availableParallelism(),
    settings: { origin: o.baseUrl, concurrency: o.concurrency, processing: `${fetch.processor.description}, validation only (normalise: false)` },
  });
}
