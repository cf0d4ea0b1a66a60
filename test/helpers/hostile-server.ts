import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { maxsoldItemsBody } from '../../simulator/index.js';

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** What the server does with one request: any bytes, at any pace, on the raw socket. */
export type Behaviour = (socket: Socket, request: HostileRequest) => void | Promise<void>;

export interface HostileServer {
  url: string;
  /** Every request head received, in order. */
  requests: HostileRequest[];
  close(): Promise<void>;
}

/**
 * A raw TCP server on 127.0.0.1 (port 0): every byte and every delay of the answer is
 * the test's. One request per connection: behaviours answer `Connection: close` or
 * never finish at all.
 */
export async function startHostileServer(behave: Behaviour): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const requests: HostileRequest[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      const [line = '', ...fields] = head.slice(0, end).split('\r\n');
      const [method = '', path = ''] = line.split(' ');
      const headers = Object.fromEntries(fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 1).trim()]));
      const request = { method, path, headers };
      requests.push(request);
      Promise.resolve(behave(socket, request)).catch(() => socket.destroy());
    };
    socket.on('data', onData);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Writes a whole answer and closes the connection. */
export function respond(socket: Socket, status: number, headers: Record<string, string | number>, body: string | Uint8Array = ''): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  socket.write(head(status, { 'content-length': bytes.byteLength, ...headers }));
  socket.end(bytes);
}

export function head(status: number, headers: Record<string, string | number>): string {
  return `HTTP/1.1 ${status} X\r\n${Object.entries({ connection: 'close', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/** The auction a MaxSold request asks for. */
export function auctionId(path: string): number {
  return Number(new URL(path, 'http://x').searchParams.get('auctionid'));
}

/** The simulator's auction for the request's `auctionid` and `limit`: a valid answer. */
export function auctionFor(path: string): string {
  const q = new URL(path, 'http://x').searchParams;
  return maxsoldItemsBody(Number(q.get('auctionid')), { limit: Number(q.get('limit')) || undefined })!;
}

export const JSON_TYPE = { 'content-type': 'application/json' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `bytes` one at a time, `everyMs` apart, until they run out or the client hangs up. */
export async function trickle(socket: Socket, bytes: Uint8Array, everyMs: number): Promise<void> {
  for (const b of bytes) {
    if (socket.destroyed) return;
    socket.write(Uint8Array.of(b));
    await sleep(everyMs);
  }
}

/** Writes chunks from `next` until it returns undefined or the client hangs up, waiting for the socket to drain. */
async function pump(socket: Socket, next: () => Uint8Array | undefined): Promise<void> {
  for (let chunk = next(); chunk !== undefined && !socket.destroyed; chunk = next()) {
    if (!socket.write(chunk)) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
  }
}

/** `total` bytes of filler, streamed. */
export function streamFiller(socket: Socket, total: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let left = total;
  return pump(socket, () => {
    if (left <= 0) return undefined;
    const n = Math.min(left, chunk.length);
    left -= n;
    return chunk.subarray(0, n);
  });
}

const MiB = 1024 * 1024;
const ZEROS = Buffer.alloc(MiB);
/** One MiB of zeros, deflated and flushed to a byte boundary: blocks that can follow one another. */
const ZEROS_BLOCK = deflateRawSync(ZEROS, { level: 9, finishFlush: constants.Z_FULL_FLUSH });
const FINAL_BLOCK = deflateRawSync(Buffer.alloc(0));

/**
 * A gzip member of `mib` MiB of zeros, generated as it is sent (about 1 KB on the wire
 * per MiB inflated), never held whole: a valid gzip stream, trailer and CRC included.
 */
export function streamGzipBomb(socket: Socket, mib: number): Promise<void> {
  let sent = -1;
  let crc = 0;
  return pump(socket, () => {
    if (sent === -1) {
      sent = 0;
      return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    }
    if (sent < mib) {
      crc = crc32(ZEROS, crc);
      sent++;
      return ZEROS_BLOCK;
    }
    if (sent > mib) return undefined;
    sent++;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE((mib * MiB) % 2 ** 32, 4);
    return Buffer.concat([FINAL_BLOCK, trailer]);
  });
}
