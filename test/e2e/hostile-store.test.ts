import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planAuctions } from '../../core/planner.js';
import { scrape } from '../../cli/scrape.js';
import { startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';
import { auctionFor, auctionId, JSON_TYPE, respond, startHostileServer } from '../helpers/hostile-server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('what a server sends cannot make the data directory lose track', () => {
  it('an ETag that grows past 16 KiB once escaped is still found: the rerun skips the auction instead of adding its rows again', async () => {
    // 3,000 bytes of non-ASCII on the wire; each is six characters (\u00e9) in the stored header.
    const etag = `W/"${'\xe9'.repeat(3000)}"`;
    const server = await startHostileServer((socket, req) => respond(socket, 200, { ...JSON_TYPE, etag }, auctionFor(req.path)));
    const { dir, cleanup } = tempDir('etag-');
    const run = () =>
      scrape({
        command: 'etag',
        plan: planAuctions([{ from: 7, to: 7 }], '2026-11-26'),
        out: dir,
        baseUrl: server.url,
        concurrency: 1,
        workers: 0,
        skipExisting: true,
        withBids: false,
        quiet: true,
        writeReport: false,
      });
    try {
      const first = await run();
      expect(first.outcomes.fetched).toBe(1);
      const rerun = await run();
      expect(rerun.outcomes).toMatchObject({ fetched: 0, skipped: 1 });
      expect(server.requests).toHaveLength(1);
    } finally {
      cleanup();
      await server.close();
    }
  });

  it('a second run on the same --out refuses with one line while the first runs; nothing is fetched twice', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const server = await startHostileServer(async (socket, req) => {
      await gate;
      respond(socket, 200, JSON_TYPE, auctionFor(req.path));
    });
    const { dir, cleanup } = tempDir('lock-');
    const args = ['run', 'maxsold', '--ids', '1-4', '--base-url', server.url, '--out', dir, '--quiet', '--workers', '0'];
    try {
      const first = startCli(args);
      while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 50));
      const second = await Promise.race([startCli(args).done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
      open();
      expect(second, 'the second run did not stop').toBeDefined();
      expect(second!.code).toBe(1);
      expect(second!.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^scraper: the data directory ${dir} is in use by another run \\(pid ${first.child.pid} on [^:]+: "run maxsold", since [-0-9T:.Z]+\\); if that run is gone, delete ${dir}/\\.lock$`,
          ),
        ),
      ]);
      const done = await first.done;
      expect(done.code, done.stderr).toBe(0);
      expect(server.requests.map((r) => auctionId(r.path)).sort()).toEqual([1, 2, 3, 4]);
    } finally {
      open();
      cleanup();
      await server.close();
    }
  });
});

/** Whether this machine lets an unprivileged process mount a read-only file system of its own (a user namespace). */
const canMountReadOnly = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs /mnt'], { stdio: 'ignore' }).status === 0;

describe('a read-only file system', () => {
  it.skipIf(!canMountReadOnly)('is one clear line naming it, not a stack trace with ENOENT', () => {
    const { dir, cleanup } = tempDir('ro-');
    try {
      const mount = join(dir, 'ro');
      mkdirSync(mount);
      const cli = [
        process.execPath,
        '--import',
        'tsx',
        'cli/main.ts',
        'run',
        'maxsold',
        '--ids',
        '1-3',
        '--base-url',
        'http://127.0.0.1:9',
      ];
      const r = spawnSync(
        'unshare',
        ['-rm', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"', mount, ...cli, '--out', join(mount, 'data')],
        { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toEqual([
        `scraper: cannot write to the data directory ${join(mount, 'data')}: the file system is read-only (EROFS)`,
      ]);
    } finally {
      cleanup();
    }
  });
});
