/** The simulator's public API: a server, and the payload generators it serves. */
export { startSimulator, type RunningSimulator } from './server.js';
export type { SimulatorOptions, RateLimitOptions } from './options.js';
export type { SimulatorStats, Route } from './stats.js';
export {
  FAULT_KINDS,
  PERMANENT_FAULTS,
  TRANSIENT_FAULTS,
  FaultPlan,
  type FaultKind,
  type FaultRates,
  type FaultPlanOptions,
  type PermanentFault,
  type TransientFault,
} from './faults.js';
export {
  maxsoldAuction,
  maxsoldItemsBody,
  maxsoldEmptyBody,
  maxsoldBidHistory,
  lotCount,
  firstItemId,
  DEFAULT_ITEM_CAP,
  MAX_LOTS,
  type AuctionModel,
  type MaxsoldItem,
  type BidRecord,
  type ItemsQuery,
} from './maxsold-payloads.js';
export { viaSnapshotBody, VIA_SEED_CAPTURED_MS } from './via-payloads.js';
export { MAXSOLD_PATH, VIA_PATH } from './routes.js';
