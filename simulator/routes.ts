/**
 * From a request line to what the simulator answers: the route, the auction id, and a
 * reply (a cacheable JSON body, a fixed error page, or a dropped connection).
 */
import { MAINTENANCE_HTML, FORBIDDEN_HTML, NOT_FOUND_HTML, SCHEMA_BODY, SERVER_ERROR_HTML, truncatedText } from './fault-bodies.js';
import type { FaultKind, FaultPlan } from './faults.js';
import type { LiveAuctions } from './live-auctions.js';
import { DEFAULT_ITEM_CAP, firstItemId, lotCount, maxsoldEmptyBody, maxsoldItemsBody } from './maxsold-payloads.js';
import type { Route } from './stats.js';
import { viaSnapshotBody } from './via-payloads.js';

export const MAXSOLD_PATH = '/msapi/auctions/items';
export const VIA_PATH = '/data/allData.json';
/** Ids are 32-bit on the real site; beyond that the simulator has no auction. */
const MAX_ID = 2_147_483_647;

export interface RequestInfo {
  route: Route;
  /** The valid auction id of a MaxSold request, else null. */
  auctionId: number | null;
  itemId?: number;
  limit?: number;
  offset?: number;
}

export type Reply =
  | { kind: 'json'; key: string; text: () => string; lastModifiedMs: number }
  | { kind: 'fixed'; status: number; contentType: string; text: string }
  | { kind: 'reset' };

export interface Decision {
  reply: Reply;
  /** The fault injected, if any (counted by the caller). */
  fault: FaultKind | null;
  /** Extra delay before replying (the `slow` fault). */
  delayMs: number;
}

export interface RouteContext {
  plan: FaultPlan;
  viaFaults: boolean;
  slowMs: number;
  missingIds: ((id: number) => boolean) | null;
  clock: () => number;
  startedAtMs: number;
  /** Auctions that live in time; null: every id has its fixed auction. */
  live?: LiveAuctions | null;
}

function whole(value: string | null): number | undefined {
  return value !== null && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

export function classify(rawUrl: string): RequestInfo {
  const q = rawUrl.indexOf('?');
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  if (path === VIA_PATH) return { route: 'via', auctionId: null };
  if (path !== MAXSOLD_PATH) return { route: 'other', auctionId: null };
  const params = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  const id = whole(params.get('auctionid'));
  const itemParam = params.get('itemid');
  const limit = whole(params.get('limit'));
  return {
    route: itemParam === null ? 'auctions' : 'bids',
    auctionId: id !== undefined && id >= 1 && id <= MAX_ID ? id : null,
    itemId: itemParam === null ? undefined : (whole(itemParam) ?? -1),
    // limit=0 or junk: treated as absent (the default cap applies)
    limit: limit !== undefined && limit > 0 ? limit : undefined,
    offset: whole(params.get('offset')),
  };
}

const notFound: Reply = { kind: 'fixed', status: 404, contentType: 'text/html; charset=utf-8', text: NOT_FOUND_HTML };

/** Transient faults turn a good reply into a bad one (or a late one). */
function applyTransient(kind: FaultKind | null, good: Extract<Reply, { kind: 'json' }>, slowMs: number): Decision {
  switch (kind) {
    case 'serverError':
      return {
        reply: { kind: 'fixed', status: 500, contentType: 'text/html; charset=utf-8', text: SERVER_ERROR_HTML },
        fault: kind,
        delayMs: 0,
      };
    case 'reset':
      return { reply: { kind: 'reset' }, fault: kind, delayMs: 0 };
    case 'truncated':
      return {
        reply: { kind: 'fixed', status: 200, contentType: 'application/json; charset=utf-8', text: truncatedText(good.text()) },
        fault: kind,
        delayMs: 0,
      };
    case 'html':
      return {
        reply: { kind: 'fixed', status: 200, contentType: 'text/html; charset=utf-8', text: MAINTENANCE_HTML },
        fault: kind,
        delayMs: 0,
      };
    case 'slow':
      return { reply: good, fault: kind, delayMs: slowMs };
    default:
      return { reply: good, fault: null, delayMs: 0 };
  }
}

export function decide(info: RequestInfo, rawUrl: string, userAgent: string | undefined, ctx: RouteContext): Decision {
  if (info.route === 'other') return { reply: notFound, fault: null, delayMs: 0 };
  if (info.route === 'via') {
    // The real endpoint refuses clients that send no User-Agent.
    if (!userAgent)
      return {
        reply: { kind: 'fixed', status: 403, contentType: 'text/html; charset=utf-8', text: FORBIDDEN_HTML },
        fault: null,
        delayMs: 0,
      };
    const now = ctx.clock();
    const minute = Math.floor(now / 60_000);
    const good = { kind: 'json' as const, key: `v:${minute}`, text: () => viaSnapshotBody(now), lastModifiedMs: minute * 60_000 };
    return applyTransient(ctx.viaFaults ? ctx.plan.transientFor(VIA_PATH, null) : null, good, ctx.slowMs);
  }
  const id = info.auctionId;
  if (id === null || (info.itemId !== undefined && info.itemId < 1) || ctx.missingIds?.(id))
    return { reply: notFound, fault: null, delayMs: 0 };
  const now = ctx.live ? ctx.clock() : 0;
  if (ctx.live && !ctx.live.exists(id, now)) return { reply: notFound, fault: null, delayMs: 0 };
  const permanent = ctx.plan.permanentFor(id);
  if (permanent === 'notFound') return { reply: notFound, fault: permanent, delayMs: 0 };
  if (permanent === 'schema')
    return {
      reply: { kind: 'fixed', status: 200, contentType: 'application/json; charset=utf-8', text: SCHEMA_BODY },
      fault: permanent,
      delayMs: 0,
    };
  if (permanent === 'empty') {
    return {
      reply: { kind: 'json', key: `e:${id}`, text: () => maxsoldEmptyBody(id), lastModifiedMs: ctx.startedAtMs },
      fault: permanent,
      delayMs: 0,
    };
  }
  const { itemId, limit, offset } = info;
  // An item id outside the auction's contiguous range: checked without generating anything.
  if (itemId !== undefined && (itemId < firstItemId(id) || itemId >= firstItemId(id) + lotCount(id)))
    return { reply: notFound, fault: null, delayMs: 0 };
  if (ctx.live) {
    const live = ctx.live.reply(id, { itemId, limit, offset }, now);
    return applyTransient(ctx.plan.transientFor(rawUrl, id), { kind: 'json', ...live }, ctx.slowMs);
  }
  let key: string;
  if (itemId !== undefined) key = `b:${id}:${itemId}`;
  else if (limit === undefined) key = `a:${id}:${DEFAULT_ITEM_CAP}:0`;
  else key = `a:${id}:${limit}:${offset ?? 0}`;
  const text = (): string => maxsoldItemsBody(id, { itemId, limit, offset }) ?? '';
  const good = { kind: 'json' as const, key, text, lastModifiedMs: ctx.startedAtMs };
  return applyTransient(ctx.plan.transientFor(rawUrl, id), good, ctx.slowMs);
}
