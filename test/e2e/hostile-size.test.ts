import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../adapters/fs-store.js';
import { planAuctions } from '../../core/planner.js';
import { scrape } from '../../cli/scrape.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';
import {
  auctionFor,
  auctionId,
  head,
  JSON_TYPE,
  respond,
  startHostileServer,
  streamFiller,
  streamGzipBomb,
} from '../helpers/hostile-server.js';

const MiB = 1024 * 1024;
const GZIP_JSON = { ...JSON_TYPE, 'content-encoding': 'gzip' };

describe('a body past the size limits', () => {
  it('a 2 MB gzip body that inflates past 2 GiB is quarantined as too_large with its first bytes; the run and its rerun complete', async () => {
    const server = await startHostileServer(async (socket, req) => {
      if (auctionId(req.path) !== 2) return respond(socket, 200, JSON_TYPE, auctionFor(req.path));
      socket.write(head(200, GZIP_JSON));
      await streamGzipBomb(socket, 2100);
      socket.end();
    });
    const { dir, cleanup } = tempDir('bomb-');
    const run = () =>
      scrape({
        command: 'bomb',
        plan: planAuctions([{ from: 1, to: 3 }], '2026-11-26'),
        out: dir,
        baseUrl: server.url,
        concurrency: 2,
        workers: 0,
        skipExisting: true,
        withBids: false,
        quiet: true,
        writeReport: false,
      });
    try {
      const first = await run();
      expect(first.complete).toBe(true);
      expect(first.outcomes).toMatchObject({ fetched: 2, quarantined: 1 });
      expect(first.quarantinedIds).toEqual(['maxsold 2: too_large']);
      // Quarantined at once: a second download would cost the same.
      expect(server.requests.filter((r) => auctionId(r.path) === 2)).toHaveLength(1);
      const store = new FsObjectStore(dir);
      const kept = (await store.get('quarantine/source=maxsold/dt=2026-11-26/auction=2.json.gz'))!;
      expect(kept.metadata).toMatchObject({ reason: 'too_large', 'size-limit': String(64 * MiB) });
      // The first 64 KiB of the body as sent: a gzip stream cut short, which still inflates to its start.
      const deflated = kept.body.subarray(kept.body.indexOf(0, 10) + 1);
      expect(inflateRawSync(deflated, { finishFlush: constants.Z_SYNC_FLUSH }).subarray(0, 1024)).toEqual(Buffer.alloc(1024));
      await store.close();
      const rerun = await run();
      expect(rerun.complete).toBe(true);
      expect(rerun.outcomes).toMatchObject({ skipped: 2, quarantined: 1 });
    } finally {
      cleanup();
      await server.close();
    }
  });

  it('memory stays within concurrency × --max-body + --max-inflated, in bytes: bombs and endless bodies cost their limits, not their size', async () => {
    const benign = await startHostileServer((socket, req) => respond(socket, 200, JSON_TYPE, auctionFor(req.path)));
    const hostile = await startHostileServer(async (socket, req) => {
      const id = auctionId(req.path);
      if (id % 3 === 0) {
        // A gigabyte once inflated.
        socket.write(head(200, GZIP_JSON));
        await streamGzipBomb(socket, 1024);
      } else if (id % 3 === 1) {
        // 256 MiB, length unknown until the connection closes.
        socket.write(head(200, JSON_TYPE));
        await streamFiller(socket, 256 * MiB);
      } else {
        // 256 MiB, declared: cut after the first bytes.
        socket.write(head(200, { ...JSON_TYPE, 'content-length': 256 * MiB }));
        await streamFiller(socket, 256 * MiB);
      }
      socket.end();
    });
    const { dir, cleanup } = tempDir('memory-');
    const limits = ['--concurrency', '3', '--workers', '0', '--max-body', '2MiB', '--max-inflated', '8MiB', '--quiet'];
    const run = async (url: string, out: string) => {
      const r = await runCli(['run', 'maxsold', '--ids', '1-9', '--base-url', url, '--out', join(dir, out), ...limits]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8'));
    };
    try {
      const baseline = await run(benign.url, 'benign');
      const report = await run(hostile.url, 'hostile');
      expect(report.outcomes.quarantined).toBe(9);
      expect(report.failureReasons).toEqual({ too_large: 9 });
      expect(hostile.requests).toHaveLength(9);
      // Three requests of at most 2 MiB each, one body inflating to at most 8 MiB; 48 MiB for the allocator and the GC's timing.
      const bound = 3 * 2 * MiB + 8 * MiB + 48 * MiB;
      expect((report.process.peakRssMb - baseline.process.peakRssMb) * MiB).toBeLessThan(bound);
    } finally {
      cleanup();
      await Promise.all([benign.close(), hostile.close()]);
    }
  });
});
