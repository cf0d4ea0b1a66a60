/**
 * The month's bill from what the emulation counted, at us-east-1 list prices. Flows
 * (requests, GB-seconds, log bytes) are scaled from the simulated days to 30; storage is
 * what is stored at the end, held for a month; per-resource charges (alarms, metrics,
 * dashboards) are monthly already.
 */
import { s3RequestClass } from './aws-requests.js';
import type { FunctionStats } from './lambda-service.js';

export const PRICES = {
  lambdaGbSecond: 0.0000133334, // arm64
  lambdaRequest: 0.2 / 1e6,
  sqsRequest: 0.4 / 1e6,
  s3Write: 0.005 / 1000, // PUT, COPY, POST, LIST
  s3Read: 0.0004 / 1000, // GET, HEAD and the rest
  s3GbMonth: 0.023,
  logsIngestGb: 0.5,
  logsStoreGbMonth: 0.03,
  customMetricMonth: 0.3,
  alarmMonth: 0.1,
  dashboardMonth: 3,
};

/** Lambda's SQS pollers long-poll an idle queue: about 5 connections, each a request per 20 s. */
export const IDLE_POLLERS = 5;
const LONG_POLL_SECONDS = 20;

export interface BillLine {
  item: string;
  volume: string;
  basis: string;
  usd: number;
}

export interface BillInput {
  days: number;
  functions: { name: string; memoryMb: number; stats: FunctionStats }[];
  requests: Map<string, number>;
  eventSources: number;
  storedBytes: Map<string, number>;
  logBytes: number;
  customMetrics: number;
  alarms: number;
  dashboards: number;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** How many times a run of `days` simulated days its flows (requests, compute, logs) are counted in a month's bill. */
export function monthScale(days: number): number {
  return 30 / days;
}

export function monthlyBill(b: BillInput): BillLine[] {
  const month = monthScale(b.days);
  const lines: BillLine[] = [];
  for (const f of b.functions) {
    const gbSeconds = (f.stats.billedMs / 1000) * (f.memoryMb / 1024) * month;
    const invocations = f.stats.invocations * month;
    lines.push({
      item: `Lambda: ${f.name}`,
      volume: `${fmt(invocations)} invocations`,
      basis: `${f.memoryMb} MB x ${(f.stats.billedMs / Math.max(1, f.stats.invocations)).toFixed(0)} ms average (incl. ${f.stats.coldStarts} cold starts' INIT) = ${fmt(gbSeconds)} GB-s`,
      usd: gbSeconds * PRICES.lambdaGbSecond + invocations * PRICES.lambdaRequest,
    });
  }
  let sqs = 0;
  const s3 = { write: 0, read: 0, free: 0 };
  for (const [name, n] of b.requests) {
    const [service, op = ''] = name.split(' ');
    if (service === 'SQS') sqs += n;
    else if (service === 'S3') s3[s3RequestClass(op)] += n;
  }
  const idlePolls = b.eventSources * IDLE_POLLERS * ((b.days * 86_400) / LONG_POLL_SECONDS);
  lines.push({
    item: 'SQS',
    volume: `${fmt((sqs + idlePolls) * month)} requests`,
    basis: `${fmt(sqs * month)} counted (sends, receives, deletes, visibility changes) + ${fmt(idlePolls * month)} empty long polls (${IDLE_POLLERS} pollers x ${b.eventSources} mappings, one per ${LONG_POLL_SECONDS} s; modelled)`,
    usd: (sqs + idlePolls) * month * PRICES.sqsRequest,
  });
  lines.push({
    item: 'S3 PUT/LIST/POST',
    volume: `${fmt(s3.write * month)} requests`,
    basis: 'counted',
    usd: s3.write * month * PRICES.s3Write,
  });
  lines.push({
    item: 'S3 GET/HEAD',
    volume: `${fmt(s3.read * month)} requests`,
    basis: `counted (${fmt(s3.free * month)} DELETEs are free)`,
    usd: s3.read * month * PRICES.s3Read,
  });
  const stored = [...b.storedBytes.values()].reduce((a, v) => a + v, 0);
  lines.push({
    item: 'S3 storage',
    volume: `${(stored / 1e9).toFixed(3)} GB after ${b.days} days`,
    basis: [...b.storedBytes].map(([p, v]) => `${p} ${(v / 1e6).toFixed(1)} MB`).join(', ') + '; held a month',
    usd: (stored / 1e9) * PRICES.s3GbMonth,
  });
  const logGb = (b.logBytes * month) / 1e9;
  lines.push({
    item: 'CloudWatch',
    volume: `${logGb.toFixed(2)} GB logs, ${b.customMetrics} custom metrics, ${b.alarms} alarms, ${b.dashboards} dashboard(s)`,
    basis: 'Logs $0.50/GB ingested + $0.03/GB-month; metrics $0.30, alarms $0.10, dashboards $3 a month each (before free tiers)',
    usd:
      logGb * (PRICES.logsIngestGb + PRICES.logsStoreGbMonth) +
      b.customMetrics * PRICES.customMetricMonth +
      b.alarms * PRICES.alarmMonth +
      b.dashboards * PRICES.dashboardMonth,
  });
  return lines;
}

export function billTotal(lines: BillLine[]): number {
  return lines.reduce((a, l) => a + l.usd, 0);
}
