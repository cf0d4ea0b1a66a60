import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';

describe('scraper invoke: the Lambda handlers in-process with local adapters', () => {
  const { dir, cleanup } = tempDir('invoke-');
  afterAll(cleanup);

  it('dispatch → fetch → normalise, from the sample events', async () => {
    const dispatch = await runCli([
      'invoke',
      'dispatch',
      '--event',
      'events/schedule-maxsold.json',
      '--out',
      dir,
      '--start-id',
      '100000',
      '--window',
      '3',
    ]);
    expect(dispatch.code, dispatch.stderr).toBe(0);
    expect(JSON.parse(dispatch.stdout)).toMatchObject({
      plan: 'maxsold',
      sent: 6,
      newIds: { from: 100000, to: 100002 },
      probed: { from: 100003, to: 100005 },
    });
    const fetch = await runCli(['invoke', 'fetch', '--event', join(dir, 'queue/batch-0001.json'), '--out', dir]);
    expect(fetch.code, fetch.stderr).toBe(0);
    expect(JSON.parse(fetch.stdout)).toEqual({ batchItemFailures: [] });
    expect(existsSync(join(dir, 'raw/source=maxsold/dt=2026-11-26/auction=100000.json.gz'))).toBe(true);
    const queued = () => new Map(readdirSync(join(dir, 'queue')).map((f) => [f, readFileSync(join(dir, 'queue', f), 'utf8')]));
    const before = queued();
    const normalise = await runCli(['invoke', 'normalise', '--event', 'events/s3-raw-created.json', '--out', dir]);
    expect(normalise.code, normalise.stderr).toBe(0);
    expect(existsSync(join(dir, 'tables/maxsold_items/dt=2026-11-26/maxsold-100000.parquet'))).toBe(true);
    // The normaliser queues the closed auction's bid histories after what dispatch queued, as SQS would.
    const after = queued();
    expect(after.size).toBeGreaterThan(before.size);
    for (const [f, body] of before) expect(after.get(f), f).toBe(body);
  });

  it('dispatch without flags plans as the deployed function does: from id 104000, 200 new ids', async () => {
    const fresh = join(dir, 'defaults');
    const r = await runCli(['invoke', 'dispatch', '--event', 'events/schedule-maxsold.json', '--out', fresh]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ plan: 'maxsold', newIds: { from: 104000, to: 104199 } });
  });

  it('a bad flag standing in for a function setting is a usage error naming the flag', async () => {
    const r = await runCli(['invoke', 'dispatch', '--event', 'events/schedule-maxsold.json', '--out', join(dir, 'bad'), '--start-id', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--start-id: expected a whole number from 1 to 99999999, got "0"/);
  });

  it.each([
    [
      'normalise',
      'events/schedule-maxsold.json',
      /--event: normalise takes an S3 ObjectCreated event \(like events\/s3-raw-created.json\)/,
    ],
    ['dispatch', 'events/s3-raw-created.json', /--event: dispatch takes an EventBridge scheduled event/],
    ['fetch', 'events/s3-raw-created.json', /--event: fetch takes an SQS event/],
    [
      'dispatch',
      'events/schedule-compact.json',
      /--event: "events\/schedule-compact.json" is not a dispatch schedule .*detail.plan must be "maxsold" or "via", got "compact"/,
    ],
    ['compact', 'events/schedule-maxsold.json', /--event: compact takes the compaction schedule .* is the "maxsold" dispatch's/],
  ])('%s given another kind of event (%s) is a usage error saying which it takes', async (fn, file, message) => {
    const r = await runCli(['invoke', fn, '--event', file, '--out', join(dir, 'kinds')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('normalising a raw object that is not there says so', async () => {
    const r = await runCli(['invoke', 'normalise', '--event', 'events/s3-raw-created.json', '--out', join(dir, 'empty')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/is not in .*empty: nothing to normalise/);
  });

  it('a missing event file is a usage error', async () => {
    const r = await runCli(['invoke', 'fetch', '--event', 'nope.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--event: cannot read JSON from "nope.json"/);
  });
});
