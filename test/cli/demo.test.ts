import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startSimulator } from '../../simulator/index.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/data-dir.js';

describe('demo (what npm start runs)', () => {
  /** A port nobody listens on now, found by listening on any and letting go. */
  const freePort = async () => {
    const sim = await startSimulator();
    const { port } = sim;
    await sim.close();
    return port;
  };

  it('runs again into the data directory it wrote, refreshing it', async () => {
    const { dir, cleanup } = tempDir('demo-');
    try {
      const port = String(await freePort());
      for (const run of ['first', 'second']) {
        const r = await runCli(['demo', '--auctions', '4', '--out', dir, '--port', port, '--quiet', '--workers', '1']);
        expect(r.code, `${run} run: ${r.stdout}${r.stderr}`).toBe(0);
        expect(r.stdout).toContain(`simulator of both APIs on http://127.0.0.1:${port}`);
        expect(r.stdout).toMatch(/current_total/);
      }
    } finally {
      cleanup();
    }
  });

  it("a data directory holding another server's data is refused before any request, naming both", async () => {
    const { dir, cleanup } = tempDir('demo-other-');
    try {
      const first = String(await freePort());
      expect((await runCli(['demo', '--auctions', '2', '--out', dir, '--port', first, '--quiet', '--workers', '1'])).code).toBe(0);
      const second = String(await freePort());
      const r = await runCli(['demo', '--auctions', '2', '--out', dir, '--port', second, '--quiet']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `scraper: --out: ${dir} holds data from http://127.0.0.1:${first} and the demo's simulator is on http://127.0.0.1:${second}: one data directory holds one server's data; run the demo with --port ${first} (once it is free), or give another --out`,
      );
    } finally {
      cleanup();
    }
  });

  it('its usual port taken, the demo runs on another and says so', async () => {
    const { dir, cleanup } = tempDir('demo-taken-');
    const holder = createServer();
    // Taken by this test, or already by something else: either way the demo cannot have it.
    await new Promise<void>((resolve) => holder.once('error', () => resolve()).listen(20817, '127.0.0.1', resolve));
    try {
      const r = await runCli(['demo', '--auctions', '2', '--out', dir, '--quiet', '--workers', '1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^scraper demo: port 20817 is taken, so the simulator runs on \d+\n/);
    } finally {
      holder.close();
      cleanup();
    }
  });

  it('--port names a taken port and what it expected, exit 2', async () => {
    const busy = await startSimulator();
    try {
      const r = await runCli(['demo', '--port', String(busy.port)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(`scraper: --port: ${busy.port} is in use on 127.0.0.1; expected a free port (or 0 for any)`);
    } finally {
      await busy.close();
    }
  });
});
