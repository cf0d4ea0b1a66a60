/**
 * What must hold after a run, checked against the simulator's own truth and the bucket:
 * discovery, final prices, re-polls on schedule, VIA every minute, dead letters,
 * timeouts, Retry-After, and one version per identity in compacted partitions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { TableQuery } from '../adapters/duckdb-query.js';
import { scratchDir } from './scratch-dir.js';
import { itemFromRawKey } from '../core/raw-key.js';
import { TABLES, TABLE_NAMES } from '../core/tables.js';
import { FaultPlan } from '../simulator/faults.js';
import type { LiveAuctions } from '../simulator/live-auctions.js';
import type { CloudRun } from './cloud-run.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
  /** How many cases it checked (auctions, snapshots, dead letters, …): 0 means it proved nothing. */
  checked: number;
}

async function keys(run: CloudRun, prefix: string): Promise<string[]> {
  const bucket = dataBucket(run);
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await run.aws.admin.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) out.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** The data bucket is the one the functions' BUCKET_NAME names. */
function dataBucket(run: CloudRun): string {
  const fn = [...run.topology.functions.values()].find((f) => f.environment.BUCKET_NAME);
  const ref = fn?.environment.BUCKET_NAME as { Ref: string };
  return run.bucketNames.get(ref.Ref)!;
}

/** A re-poll gap: no request for the auction between `from` and `to`. */
export interface PollGap {
  id: number;
  from: number;
  to: number;
}

/**
 * Gaps over 90 minutes between the requests for each auction while it was open: from
 * the first request after it was published (asking for an id before that is discovery,
 * answered 404, not a poll of an open auction) until its last lot closed, and from the
 * last such request to the poll after the close, for an auction closed an hour before `end`.
 * `checked`: the auctions polled at least twice while open.
 */
export function repollGaps(
  polls: ReadonlyMap<number, readonly number[]>,
  live: Pick<LiveAuctions, 'exists' | 'finalCloseMs'>,
  end: number,
): { checked: number; late: PollGap[] } {
  const late: PollGap[] = [];
  let checked = 0;
  for (const [id, times] of polls) {
    if (!live.exists(id, end)) continue;
    const closes = live.finalCloseMs(id);
    const open = times.filter((t) => live.exists(id, t) && t <= closes);
    if (open.length < 2) continue;
    checked++;
    for (let i = 1; i < open.length; i++) if (open[i]! - open[i - 1]! > 90 * MINUTE) late.push({ id, from: open[i - 1]!, to: open[i]! });
    const last = open[open.length - 1]!;
    // The poll after the close is the first request after the last one while open (more may follow it).
    const after = times.find((t) => t > last);
    if (closes < end - HOUR && after !== undefined && after - last > 90 * MINUTE) late.push({ id, from: last, to: after });
  }
  return { checked, late };
}

/** A virtual instant as `11-23 01:05Z`. */
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(5, 16).replace('T', ' ') + 'Z';
}

async function drain(run: CloudRun, queueName: string): Promise<string[]> {
  const q = [...run.queues.values()].find((x) => x.name === queueName)!;
  const bodies: string[] = [];
  for (;;) {
    const res = await run.aws.admin.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, VisibilityTimeout: 3600 }),
    );
    if (!res.Messages?.length) return bodies;
    bodies.push(...res.Messages.map((m) => m.Body!));
  }
}

export async function checkInvariants(run: CloudRun): Promise<Invariant[]> {
  const out: Invariant[] = [];
  const add = (name: string, ok: boolean, detail: string, checked: number) => out.push({ name, ok, detail, checked });
  const live = run.sim.live!;
  const faults = new FaultPlan({ rates: run.options.faults, seed: run.options.seed });
  const bucket = dataBucket(run);
  const end = run.endMs;

  // Discovery: every auction published at least 6 hours before the end has raw (or quarantined) bytes.
  const rawIds = new Set<number>();
  for (const k of [...(await keys(run, 'raw/source=maxsold/')), ...(await keys(run, 'quarantine/source=maxsold/'))]) {
    const item = itemFromRawKey(k);
    if (item?.source === 'maxsold') rawIds.add(Number(item.id));
  }
  const expected = [...live.existing(end - 6 * HOUR)].filter((id) => faults.permanentFor(id) !== 'notFound');
  const undiscovered = expected.filter((id) => !rawIds.has(id));
  // The longest run of unpublished ids below an auction that exists: discovery had to cross it.
  let longestGap = 0;
  for (let id = live.firstId, run = 0; id <= Math.max(live.firstId, ...expected); id++) {
    if (live.isGap(id)) run++;
    else {
      longestGap = Math.max(longestGap, run);
      run = 0;
    }
  }
  add(
    'every auction that existed was discovered',
    undiscovered.length === 0,
    `${expected.length - undiscovered.length} of ${expected.length} published auctions stored, across runs of up to ${count(longestGap, 'unpublished id')}${undiscovered.length ? `; missing ${undiscovered.slice(0, 10).join(', ')}` : ''}`,
    expected.length,
  );

  // Re-polls: while open (from its first request after it was published, until it closed), no gap over 90 minutes.
  const { checked, late } = repollGaps(run.polls, live, end);
  // The longest first, with when they happened: enough to place them in a log.
  const worst = late
    .sort((a, b) => b.to - b.from - (a.to - a.from))
    .slice(0, 5)
    .map((g) => `${g.id} ${clock(g.from)}-${clock(g.to)} (${Math.round((g.to - g.from) / MINUTE)} min)`);
  add(
    'open auctions were re-polled on schedule',
    late.length === 0,
    `${count(checked, 'auction')} polled while open; ${count(late.length, 'gap')} over 90 minutes${worst.length ? ` (longest: ${worst.join(', ')})` : ''}`,
    checked,
  );

  // VIA: a snapshot every minute from the first to the last.
  const minutes = (await keys(run, 'raw/source=via/'))
    .map((k) => itemFromRawKey(k))
    .filter((i) => i?.source === 'via')
    .map((i) => Date.parse((i as { at: string }).at))
    .sort((a, b) => a - b);
  const gaps = minutes.filter((t, i) => i > 0 && t - minutes[i - 1]! > MINUTE).length;
  const viaEvery = Math.min(
    ...run.firings.filter((f) => /via/i.test(f.rule)).map((f, i, all) => (i > 0 ? f.at - all[i - 1]!.at : Infinity)),
  );
  add(
    'VIA snapshots on every tick, no gap',
    minutes.length > 0 && minutes.filter((t, i) => i > 0 && t - minutes[i - 1]! > viaEvery).length === 0,
    `${count(minutes.length, 'snapshot')}, one per ${(viaEvery / MINUTE).toFixed(0)} min; ${count(gaps, 'gap')} longer than a minute`,
    minutes.length,
  );

  // Dead letters: only poison bodies, each quarantined with its bytes.
  const quarantined = new Set((await keys(run, 'quarantine/')).map((k) => k));
  const dead: string[] = [];
  const notPoison: string[] = [];
  for (const q of run.queues.values()) {
    if (!/Dead|Failures/.test(q.name)) continue;
    for (const body of await drain(run, q.name)) {
      dead.push(body);
      const item = (() => {
        try {
          return JSON.parse(body) as { source?: string; id?: string };
        } catch {
          return {};
        }
      })();
      const poison = item.source === 'maxsold' && faults.permanentFor(Number(item.id)) === 'schema';
      if (!poison || ![...quarantined].some((k) => k.includes(`/auction=${item.id}.json.gz`)))
        notPoison.push(`${q.name}: ${body.slice(0, 120)}`);
    }
  }
  add(
    'dead-letter queues hold only quarantined poison bodies',
    notPoison.length === 0,
    `${count(dead.length, 'dead letter')}; ${count(quarantined.size, 'quarantined object')}${notPoison.length ? `; not poison: ${notPoison.slice(0, 3).join(' | ')}` : ''}`,
    dead.length + quarantined.size,
  );

  const timeouts = [...run.lambda.stats.values()].reduce((n, s) => n + s.timeouts, 0);
  const invocations = [...run.lambda.stats.values()].reduce((n, s) => n + s.invocations, 0);
  const timedOut = [...run.lambda.stats].flatMap(([fn, s]) => s.timedOutAt.map((t) => `${fn} from ${clock(t)}`));
  add(
    'no handler timed out',
    timeouts === 0,
    `${count(timeouts, 'timeout')} in ${count(invocations, 'invocation')}${timedOut.length ? ` (${timedOut.join(', ')})` : ''}`,
    invocations,
  );
  // Checked: the requests sent for a function, by it or by Lambda with its role, as the emulated
  // AWS told them by their socket. Counted as checked are the handlers' own: none would mean that
  // link is broken (Lambda's own requests would still be checked), and the invariant says so.
  const { checkedCount, checkedByLambda, deniedCount, denied } = run.aws;
  add(
    "no S3 or SQS request refused by its function's role",
    deniedCount === 0,
    `${deniedCount} of ${checkedCount} S3 and SQS requests (${checkedCount - checkedByLambda} sent by the handlers, ${checkedByLambda} by Lambda for them) answered AccessDenied by the template's IAM policies${denied.length ? ` (${denied.join('; ')})` : ''}`,
    checkedCount - checkedByLambda,
  );
  const sim = run.sim.stats();
  add(
    'no Retry-After broken',
    sim.retryAfterViolations === 0,
    `${count(sim.requests, 'API request')} under a rate limit; ${count(sim.throttled429, 'answer')} of 429, ${count(sim.retryAfterViolations, 'request')} before a Retry-After expired (any container)`,
    sim.requests,
  );

  // Tables: download tables/ and ask DuckDB.
  const { dir, remove } = scratchDir('cloud-tables-');
  try {
    for (const k of await keys(run, 'tables/')) {
      const res = await run.aws.admin.s3.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
      mkdirSync(dirname(join(dir, k)), { recursive: true });
      writeFileSync(join(dir, k), await res.Body!.transformToByteArray());
    }
    const db = await TableQuery.open(dir);
    try {
      const lastDay = new Date(end - 1).toISOString().slice(0, 10);
      let duplicates = 0;
      let partitions = 0;
      for (const table of TABLE_NAMES) {
        // Within a partition: a raw key (hence a version) is per item per day.
        const id = [...TABLES[table].identity, ...(table.startsWith('via') ? ['snapshot_at'] : []), 'dt'].join(', ');
        const r = await db.query(
          `SELECT count(*) - count(DISTINCT (${id})), count(DISTINCT dt) FROM ${table} WHERE dt < DATE '${lastDay}'`,
        );
        duplicates += Number(r.rows[0]?.[0]);
        partitions += Number(r.rows[0]?.[1]);
      }
      add(
        'compacted partitions hold one version per identity',
        duplicates === 0,
        `${count(partitions, 'table-day')} before ${lastDay}; ${count(duplicates, 'duplicate row')}`,
        partitions,
      );
      const closed = [...run.polls.keys()].filter(
        (id) => live.exists(id, end) && live.finalCloseMs(id) < end - HOUR && faults.permanentFor(id) === null,
      );
      const withFinal = new Set<string>();
      if (closed.length > 0) {
        const r = await db.query(
          `SELECT DISTINCT auction_id FROM maxsold_auctions WHERE fetched_at > last_item_closes_at AND auction_id IN (${closed.join(',')})`,
        );
        for (const row of r.rows) withFinal.add(String(row[0]));
      }
      const withoutFinal = closed.filter((id) => !withFinal.has(String(id)));
      add(
        'every closed auction has its final prices',
        withoutFinal.length === 0,
        `${closed.length - withoutFinal.length} of ${closed.length} auctions closed an hour before the end have a row fetched after their last lot closed${withoutFinal.length ? `; not ${withoutFinal.slice(0, 10).join(', ')}` : ''}`,
        closed.length,
      );

      // Bid histories: every item with bids in a closed auction's final snapshot has all its bids in maxsold_bids.
      let withBids = 0;
      let complete = 0;
      if (closed.length > 0) {
        const r = await db.query(`WITH final AS (
            SELECT i.item_id, max_by(i.bid_count, i.fetched_at) AS bids
            FROM maxsold_items i JOIN maxsold_auctions a ON a.source_key = i.source_key
            WHERE a.fetched_at > a.last_item_closes_at AND a.auction_id IN (${closed.join(',')})
            GROUP BY i.item_id),
          history AS (SELECT item_id, count(DISTINCT position) AS rows FROM maxsold_bids GROUP BY item_id)
          SELECT count(*), count(*) FILTER (WHERE h.rows = f.bids) FROM final f LEFT JOIN history h USING (item_id) WHERE f.bids > 0`);
        withBids = Number(r.rows[0]?.[0]);
        complete = Number(r.rows[0]?.[1]);
      }
      add(
        "closed auctions' bid histories are complete",
        complete === withBids,
        `${complete} of ${withBids} items with bids in closed auctions have every bid in maxsold_bids`,
        withBids,
      );
    } finally {
      db.close();
    }
  } finally {
    remove();
  }
  return out;
}

/** `1 snapshot`, `2 snapshots`: a count with its noun. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
