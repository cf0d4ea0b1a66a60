import { mkdir, open, readFile, rename, rm, stat, unlink, opendir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ObjectStore, StoredObject } from '../core/ports.js';

const META = '.meta.json';
const TMP = '.tmp-';
let sequence = 0;

/**
 * Keys as files under a data directory. Every write goes to a temp file that is
 * renamed into place, so a killed run never leaves a half file; metadata goes to a
 * `<key>.meta.json` sidecar written after the body.
 */
export class FsObjectStore implements ObjectStore {
  readonly #dirs = new Set<string>();

  constructor(readonly root: string) {}

  async put(key: string, body: Uint8Array, metadata?: Record<string, string>): Promise<void> {
    const path = this.#path(key);
    await this.#ensureDir(dirname(path));
    await writeAtomic(path, body);
    if (metadata) await writeAtomic(path + META, Buffer.from(JSON.stringify(metadata, null, 1)));
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const path = this.#path(key);
    try {
      const body = await readFile(path);
      return { body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength), metadata: await readMeta(path) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async head(key: string): Promise<Record<string, string> | undefined> {
    const path = this.#path(key);
    try {
      await stat(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return readMeta(path);
  }

  async *list(prefix: string): AsyncIterable<string> {
    // Walk from the deepest directory the prefix names, then filter by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const start = this.#path(slash >= 0 ? prefix.slice(0, slash) : '');
    for await (const file of walk(start)) {
      if (file.endsWith(META) || file.includes(TMP)) continue;
      const key = relative(this.root, file).split(sep).join('/');
      if (key.startsWith(prefix)) yield key;
    }
  }

  async delete(keys: string[]): Promise<void> {
    await Promise.all(keys.flatMap((k) => [rm(this.#path(k), { force: true }), rm(this.#path(k) + META, { force: true })]));
  }

  #path(key: string): string {
    if (key.includes('..') || key.startsWith('/')) throw new TypeError(`object key must be relative without "..": ${key}`);
    return join(this.root, key);
  }

  async #ensureDir(dir: string): Promise<void> {
    if (this.#dirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.#dirs.add(dir);
  }
}

async function writeAtomic(path: string, body: Uint8Array): Promise<void> {
  const tmp = `${path}${TMP}${process.pid}-${sequence++}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(body);
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

async function readMeta(path: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(path + META, 'utf8')) as Record<string, string>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
}

async function* walk(dir: string): AsyncIterable<string> {
  let handle;
  try {
    handle = await opendir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw e;
  }
  const entries: { name: string; dir: boolean }[] = [];
  for await (const entry of handle) entries.push({ name: entry.name, dir: entry.isDirectory() });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.dir) yield* walk(path);
    else yield path;
  }
}
