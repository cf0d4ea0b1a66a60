/**
 * Table schemas: the one place they are defined. The Parquet writer, the DuckDB
 * views, the Glue tables and the README are all derived from this list.
 * Timestamps are carried as epoch milliseconds in rows and stored as UTC microseconds.
 */
export type ColumnType = 'string' | 'int32' | 'int64' | 'float64' | 'bool' | 'timestamp' | 'date' | 'string_list';

export interface Column {
  name: string;
  type: ColumnType;
  doc: string;
}

export type TableName = 'maxsold_auctions' | 'maxsold_items' | 'maxsold_bids' | 'via_trains' | 'via_train_stops';

export interface TableSchema {
  name: TableName;
  doc: string;
  /** Columns that identify an entity across snapshots (the latest-state view groups by them). */
  identity: string[];
  columns: Column[];
}

export type CellValue = string | number | boolean | null | string[];
export type Row = Record<string, CellValue>;

const c = (name: string, type: ColumnType, doc: string): Column => ({ name, type, doc });

const lineage = [
  c('source_key', 'string', 'Raw object the row came from (`raw/source=…/….json.gz`)'),
  c('fetched_at', 'timestamp', 'When that raw object was fetched (UTC)'),
];

export const TABLES: Record<TableName, TableSchema> = {
  maxsold_auctions: {
    name: 'maxsold_auctions',
    doc: 'One row per auction per fetch.',
    identity: ['auction_id'],
    columns: [
      c('auction_id', 'int64', 'Auction id'),
      c('title', 'string', 'Title, HTML entities decoded'),
      c('starts_at', 'timestamp', 'Bidding opens (UTC)'),
      c('ends_at', 'timestamp', 'First lots close (UTC)'),
      c('last_item_closes_at', 'timestamp', 'Last lot closes (UTC)'),
      c('pickup_at', 'timestamp', 'Pickup time (UTC); null when the API sends ""'),
      c('catalog_lots', 'int32', 'Lot count the API states (approximate)'),
      c('items_returned', 'int32', 'Items actually in the response'),
      c('extended_bidding', 'bool', 'Soft close enabled'),
      c('extended_bidding_interval', 'int32', 'Soft-close interval as sent'),
      c('extended_bidding_threshold', 'int32', 'Soft-close threshold (minutes)'),
      c('partner_url', 'string', 'Partner site; null when ""'),
      c('removal_info', 'string', 'Pickup instructions (HTML as sent)'),
      c('inspection_info', 'string', 'Inspection notes (HTML as sent)'),
      c('intro', 'string', 'Introduction (HTML as sent)'),
      c('disclaimers', 'string', 'Terms (HTML as sent)'),
      ...lineage,
    ],
  },
  maxsold_items: {
    name: 'maxsold_items',
    doc: 'One row per auction item per fetch. Viewer-dependent fields (is_favorite, winning, …) are dropped.',
    identity: ['auction_id', 'item_id'],
    columns: [
      c('auction_id', 'int64', 'Auction id (the API sends a string here; cast once)'),
      c('item_id', 'int64', 'Item id'),
      c('lot_number', 'string', 'Lot number as sent ("1", "171"); not contiguous'),
      c('title', 'string', 'Title, HTML entities decoded, trimmed'),
      c('description', 'string', 'Description as sent (not entity-encoded)'),
      c('taxable', 'bool', 'Sales tax applies'),
      c('viewed', 'int32', 'View count at fetch time'),
      c('bid_count', 'int32', 'Bids so far'),
      c('bidding_extended', 'bool', 'Soft close has extended this lot'),
      c('buyer_premium_pct', 'float64', "Buyer's premium, percent"),
      c('starting_bid', 'float64', 'Starting bid (dollars)'),
      c('current_bid', 'float64', 'Current bid (dollars); 0 when no bids'),
      c('minimum_bid', 'float64', 'Next acceptable bid (dollars)'),
      c('start_at', 'timestamp', 'Lot opens (UTC)'),
      c('end_at', 'timestamp', 'Lot closes (UTC), including soft-close extensions'),
      c('timezone', 'string', 'IANA zone of the auction'),
      c('image_count', 'int32', 'Number of images'),
      c('images', 'string_list', 'Image URLs'),
      ...lineage,
    ],
  },
  maxsold_bids: {
    name: 'maxsold_bids',
    doc: 'One row per bid in an item\'s history, from the `&itemid=` request. No bid id exists: the key is (item_id, position).',
    identity: ['item_id', 'position'],
    columns: [
      c('auction_id', 'int64', 'Auction id'),
      c('item_id', 'int64', 'Item id'),
      c('position', 'int32', 'Index in the API\'s list (0 = highest amount)'),
      c('bid_at', 'timestamp', 'Time of bid (UTC)'),
      c('amount', 'float64', 'Bid amount (dollars)'),
      c('is_proxy', 'bool', 'Placed by a proxy (automatic) bid'),
      ...lineage,
    ],
  },
  via_trains: {
    name: 'via_trains',
    doc: 'One row per train per snapshot. Identity is (train_number, instance), never the display key.',
    identity: ['train_number', 'instance'],
    columns: [
      c('snapshot_at', 'timestamp', 'Planned snapshot instant (UTC)'),
      c('train_number', 'string', 'Train number ("1", "692")'),
      c('instance', 'date', "The service's origin date"),
      c('train_key', 'string', 'Display key as sent ("1 (07-12)"), for reference only'),
      c('departed', 'bool', 'Has left its origin'),
      c('arrived', 'bool', 'Has reached its destination'),
      c('from_station', 'string', 'Origin'),
      c('to_station', 'string', 'Destination'),
      c('lat', 'float64', 'Latitude of the last fix (running trains only)'),
      c('lng', 'float64', 'Longitude of the last fix'),
      c('speed', 'int32', 'Speed, km/h'),
      c('direction', 'float64', 'Heading in degrees; null when unknown (null or -1 in the API)'),
      c('poll_at', 'timestamp', 'Time of the last position fix (UTC)'),
      c('poll_min', 'int32', 'Minutes since that fix'),
      c('poll_radius', 'int32', 'Position uncertainty (m), present when poll_min >= 5'),
      c('stop_count', 'int32', 'Stops on the route'),
      c('alert_count', 'int32', 'Service alerts attached'),
      c('alerts', 'string', 'Alerts as JSON text ([{header,description,url}] with en/fr); null when none'),
      ...lineage,
    ],
  },
  via_train_stops: {
    name: 'via_train_stops',
    doc: 'One row per stop per train per snapshot, in route order. Key: (train_number, instance, stop_index, snapshot_at).',
    identity: ['train_number', 'instance', 'stop_index'],
    columns: [
      c('snapshot_at', 'timestamp', 'Planned snapshot instant (UTC)'),
      c('train_number', 'string', 'Train number'),
      c('instance', 'date', "The service's origin date"),
      c('stop_index', 'int32', 'Position on the route (0-based)'),
      c('station', 'string', 'Station name as displayed'),
      c('station_code', 'string', 'Four-letter code; null when the API sends ""'),
      c('tz', 'string', 'IANA zone of the station (sent from 2026-07-09)'),
      c('scheduled_at', 'timestamp', 'Scheduled time (UTC)'),
      c('estimated_at', 'timestamp', 'Estimated time (UTC); falls back to the arrival/departure estimate when the top-level one is a sentinel'),
      c('arrival_scheduled_at', 'timestamp', 'Scheduled arrival (UTC)'),
      c('arrival_estimated_at', 'timestamp', 'Estimated arrival (UTC)'),
      c('departure_scheduled_at', 'timestamp', 'Scheduled departure (UTC)'),
      c('departure_estimated_at', 'timestamp', 'Estimated departure (UTC)'),
      c('eta', 'string', 'Display text ("ARR", "5 mins", "1h05"); null for the sentinel'),
      c('diff', 'string', 'Lateness class: goo, med, bad'),
      c('diff_min', 'int32', 'Minutes late (negative = early)'),
      c('cancelled', 'bool', 'Stop cancelled'),
      c('replaced_mode', 'string', 'Replacement: "train" or "alternate"'),
      c('replaced_services', 'string_list', 'Replacing train numbers'),
      ...lineage,
    ],
  },
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** Rows of several tables produced from one raw object. */
export type TableRows = Partial<Record<TableName, Row[]>>;
