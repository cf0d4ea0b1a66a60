/**
 * Table schemas and the field contract: the one place both are defined. The Parquet
 * writer, the DuckDB views, the Glue tables, docs/tables.md and the field readers
 * (sources/fields.ts) are all derived from this list.
 * Timestamps are carried as epoch milliseconds in rows and stored as UTC microseconds.
 */
export type ColumnType = 'string' | 'int32' | 'int64' | 'float64' | 'bool' | 'timestamp' | 'date' | 'string_list';

/**
 * Where a column's value comes from in the API's record, and what it accepts there.
 * What each type accepts, casts and counts is the same for every column (see
 * sources/fields.ts); a column narrows it with a range, values meaning "not set", and
 * a text transformation.
 */
export interface FieldSource {
  /** The API's key; `arrival.scheduled` is key `scheduled` of the sub-object `arrival`. */
  field: string;
  /** Inclusive bounds, within the type's own; a value outside is null, counted `out_of_range`. */
  min?: number;
  max?: number;
  /** Values besides null that mean "not set": null, not counted. */
  notSet?: readonly (string | number)[];
  /** The key is often absent (a running train's position): null, or `absent`, not counted. */
  optional?: boolean;
  /** The value an absent key stands for. */
  absent?: boolean;
  /** Text: HTML character references decoded, then (`entities_trimmed`) trimmed. */
  decode?: 'entities' | 'entities_trimmed';
  /** A list stored as its JSON text (null when empty). */
  json?: boolean;
  /** The record's identity: checked before any row is built (see the table's `rules`). */
  identity?: boolean;
}

export interface Column {
  name: string;
  type: ColumnType;
  doc: string;
  /** Read from this API field by its contract; absent for a column the normaliser derives. */
  source?: FieldSource;
}

export type TableName = 'maxsold_auctions' | 'maxsold_items' | 'maxsold_bids' | 'via_trains' | 'via_train_stops';

export interface TableSchema {
  name: TableName;
  doc: string;
  /** Columns that identify an entity across snapshots (the latest-state view groups by them). */
  identity: string[];
  /** What happens to a record (or body) whose identity is missing, malformed or repeated. */
  rules: string[];
  columns: Column[];
}

export type CellValue = string | number | boolean | null | string[];
export type Row = Record<string, CellValue>;

const c = (name: string, type: ColumnType, doc: string, source?: FieldSource | string): Column =>
  source === undefined ? { name, type, doc } : { name, type, doc, source: typeof source === 'string' ? { field: source } : source };

/** Counts, lengths and positions: never negative. */
const COUNT = { min: 0 };
/** `&mdash;` is how VIA writes "no time" (also in `eta`). */
const MDASH = '&mdash;';

const lineage = [
  c('source_key', 'string', 'Raw object the row came from (`raw/source=…/….json.gz`)'),
  c('fetched_at', 'timestamp', 'When that raw object was fetched (UTC)'),
];

export const TABLES: Record<TableName, TableSchema> = {
  maxsold_auctions: {
    name: 'maxsold_auctions',
    doc: 'One row per auction per fetch that returned items (an auction with none is counted *empty*, and has no row).',
    identity: ['auction_id'],
    rules: [
      '`id` must be the auction id asked for (a number, or its digits: counted `maxsold_auctions.id:numeric_string`), else the body is quarantined (poison).',
      'More lots stated in `catalog_lots` than items returned: counted `maxsold_auctions.catalog_lots:more_than_returned`; a page still as full as the largest `limit` asked: `maxsold_auctions.items:possibly_truncated`.',
    ],
    columns: [
      c('auction_id', 'int64', 'Auction id', { field: 'id', identity: true }),
      c('title', 'string', 'Title, HTML entities decoded', { field: 'title', decode: 'entities' }),
      c('starts_at', 'timestamp', 'Bidding opens (UTC)', 'starts'),
      c('ends_at', 'timestamp', 'First lots close (UTC)', 'ends'),
      c('last_item_closes_at', 'timestamp', 'Last lot closes (UTC)', 'last_item_closes'),
      c('pickup_at', 'timestamp', 'Pickup time (UTC); null when the API sends ""', 'pickup_time'),
      c('catalog_lots', 'int32', 'Lot count the API states (approximate)', { field: 'catalog_lots', ...COUNT }),
      c('items_returned', 'int32', 'Distinct items in the response (the rows in maxsold_items)'),
      c('extended_bidding', 'bool', 'Soft close enabled', 'extended_bidding'),
      c('extended_bidding_interval', 'int32', 'Soft-close interval as sent', 'extended_bidding_interval'),
      c('extended_bidding_threshold', 'int32', 'Soft-close threshold (minutes)', 'extended_bidding_threshold'),
      c('partner_url', 'string', 'Partner site; null when ""', { field: 'partner_url', notSet: [''] }),
      c('removal_info', 'string', 'Pickup instructions (HTML as sent)', 'removal_info'),
      c('inspection_info', 'string', 'Inspection notes (HTML as sent)', 'inspection_info'),
      c('intro', 'string', 'Introduction (HTML as sent)', 'intro'),
      c('disclaimers', 'string', 'Terms (HTML as sent)', 'disclaimers'),
      ...lineage,
    ],
  },
  maxsold_items: {
    name: 'maxsold_items',
    doc: 'One row per auction item per fetch. Viewer-dependent fields (is_favorite, winning, …) are dropped.',
    identity: ['auction_id', 'item_id'],
    rules: [
      "Every item's `id` must be a positive integer (a number, or its digits: counted `maxsold_items.id:numeric_string`), else the body is quarantined (poison).",
      'An `id` already seen in the same body: that item is dropped, counted `maxsold_items.record:duplicate_identity` (the first one is kept).',
      "`items[].auction_id` (a string) other than the auction's `id`: counted `maxsold_items.auction_id:mismatch`; the row takes the auction's.",
    ],
    columns: [
      c('auction_id', 'int64', 'Auction id (the API sends a string here; cast once)', { field: 'auction.id', identity: true }),
      c('item_id', 'int64', 'Item id', { field: 'id', identity: true }),
      c('lot_number', 'string', 'Lot number as sent ("1", "171"); not contiguous', 'lot_number'),
      c('title', 'string', 'Title, HTML entities decoded, trimmed', { field: 'title', decode: 'entities_trimmed' }),
      c('description', 'string', 'Description as sent (not entity-encoded)', 'description'),
      c('taxable', 'bool', 'Sales tax applies', 'taxable'),
      c('viewed', 'int64', 'View count at fetch time', { field: 'viewed', ...COUNT }),
      c('bid_count', 'int32', 'Bids so far', { field: 'bid_count', ...COUNT }),
      c('bidding_extended', 'bool', 'Soft close has extended this lot', 'bidding_extended'),
      c('buyer_premium_pct', 'float64', "Buyer's premium, percent", 'buyer_premium'),
      c('starting_bid', 'float64', 'Starting bid (dollars)', 'starting_bid'),
      c('current_bid', 'float64', 'Current bid (dollars); 0 when no bids', 'current_bid'),
      c('minimum_bid', 'float64', 'Next acceptable bid (dollars)', 'minimum_bid'),
      c('start_at', 'timestamp', 'Lot opens (UTC)', 'start_time'),
      c('end_at', 'timestamp', 'Lot closes (UTC), including soft-close extensions', 'end_time'),
      c('timezone', 'string', 'IANA zone of the auction', { field: 'timezone', notSet: [''] }),
      c('image_count', 'int32', 'Number of images (the strings in `images`)'),
      c('images', 'string_list', 'Image URLs', 'images'),
      ...lineage,
    ],
  },
  maxsold_bids: {
    name: 'maxsold_bids',
    doc: "One row per bid in an item's history, from the `&itemid=` request. No bid id exists: the key is (item_id, position).",
    identity: ['item_id', 'position'],
    rules: [
      'The body must hold exactly the item asked for, with a `bid_history` list: otherwise the item is recorded missing, or the body quarantined when the list is not a list.',
      'A `bid_history` entry that is not an object: dropped, counted `maxsold_bids.bid:not_object` (positions keep their place in the list).',
      "A list whose length differs from the item's `bid_count`: kept, counted `maxsold_bids.bid_history:length_differs_from_bid_count`.",
    ],
    columns: [
      c('auction_id', 'int64', 'Auction id (the one asked for)'),
      c('item_id', 'int64', 'Item id (the one asked for)'),
      c('position', 'int32', "Index in the API's list (0 = highest amount)"),
      c('bid_at', 'timestamp', 'Time of bid (UTC)', 'time_of_bid'),
      c('amount', 'float64', 'Bid amount (dollars)', 'amount'),
      c('is_proxy', 'bool', 'Placed by a proxy (automatic) bid', 'isproxy'),
      ...lineage,
    ],
  },
  via_trains: {
    name: 'via_trains',
    doc: 'One row per train per snapshot. Identity is (train_number, instance), never the display key.',
    identity: ['train_number', 'instance'],
    rules: [
      'A record that is not an object, whose key is not a train number (optionally with ` (MM-DD)`; `0` is junk), whose `instance` is not a real `YYYY-MM-DD` day, or whose `times` is not a list: skipped, counted `via_trains.record:skipped_invalid`.',
      'A (number, instance) already seen in the same snapshot: that record is skipped, counted `via_trains.record:duplicate_identity` (the first one is kept).',
      'A key whose `(MM-DD)` differs from `instance`: kept, counted `via_trains.key:date_differs_from_instance`.',
    ],
    columns: [
      c('snapshot_at', 'timestamp', 'Planned snapshot instant (UTC)'),
      c('train_number', 'string', 'Train number ("1", "692"), from the key'),
      c('instance', 'date', "The service's origin date", { field: 'instance', identity: true }),
      c('train_key', 'string', 'Display key as sent ("1 (07-12)"), for reference only'),
      c('departed', 'bool', 'Has left its origin', 'departed'),
      c('arrived', 'bool', 'Has reached its destination', 'arrived'),
      c('from_station', 'string', 'Origin', 'from'),
      c('to_station', 'string', 'Destination', 'to'),
      c('lat', 'float64', 'Latitude of the last fix (running trains only)', { field: 'lat', optional: true, min: -90, max: 90 }),
      c('lng', 'float64', 'Longitude of the last fix', { field: 'lng', optional: true, min: -180, max: 180 }),
      c('speed', 'int32', 'Speed, km/h', { field: 'speed', optional: true, ...COUNT }),
      c('direction', 'float64', 'Heading in degrees; null when unknown (null or -1 in the API)', {
        field: 'direction',
        optional: true,
        notSet: [-1],
        min: 0,
        max: 360,
      }),
      c('poll_at', 'timestamp', 'Time of the last position fix (UTC)', { field: 'poll', optional: true }),
      c('poll_min', 'int32', 'Minutes since that fix', { field: 'pollMin', optional: true, ...COUNT }),
      c('poll_radius', 'int32', 'Position uncertainty (m), present when poll_min >= 5', { field: 'pollRadius', optional: true, ...COUNT }),
      c('stop_count', 'int32', 'Stops on the route (entries in `times`)'),
      c('alert_count', 'int32', 'Service alerts attached (entries in `alerts`)'),
      c('alerts', 'string', 'Alerts as JSON text ([{header,description,url}] with en/fr); null when none', {
        field: 'alerts',
        optional: true,
        json: true,
      }),
      ...lineage,
    ],
  },
  via_train_stops: {
    name: 'via_train_stops',
    doc: 'One row per stop per train per snapshot, in route order. Key: (train_number, instance, stop_index, snapshot_at).',
    identity: ['train_number', 'instance', 'stop_index'],
    rules: [
      'Stops of a skipped train are skipped with it. A `times` entry that is not an object: dropped, counted `via_train_stops.stop:not_object` (indexes keep their place in the list).',
      '`arrival`, `departure` or `replaced` present but not an object: read as absent, counted `via_train_stops.<field>:not_object`.',
      '`estimated_at` is `estimated`, or when that is null `arrival.estimated`, else `departure.estimated` (on the 2026-07-03 switchover the top level held `&mdash;` while a sub-object held the time).',
    ],
    columns: [
      c('snapshot_at', 'timestamp', 'Planned snapshot instant (UTC)'),
      c('train_number', 'string', 'Train number'),
      c('instance', 'date', "The service's origin date"),
      c('stop_index', 'int32', 'Position on the route (0-based)'),
      c('station', 'string', 'Station name as displayed', 'station'),
      c('station_code', 'string', 'Four-letter code; null when the API sends ""', { field: 'code', notSet: [''] }),
      c('tz', 'string', 'IANA zone of the station (sent from 2026-07-09)', { field: 'tz', optional: true }),
      c('scheduled_at', 'timestamp', 'Scheduled time (UTC)', 'scheduled'),
      c(
        'estimated_at',
        'timestamp',
        'Estimated time (UTC); falls back to the arrival/departure estimate when the top-level one is a sentinel',
        'estimated',
      ),
      c('arrival_scheduled_at', 'timestamp', 'Scheduled arrival (UTC)', { field: 'arrival.scheduled', optional: true }),
      c('arrival_estimated_at', 'timestamp', 'Estimated arrival (UTC)', { field: 'arrival.estimated', optional: true }),
      c('departure_scheduled_at', 'timestamp', 'Scheduled departure (UTC)', { field: 'departure.scheduled', optional: true }),
      c('departure_estimated_at', 'timestamp', 'Estimated departure (UTC)', { field: 'departure.estimated', optional: true }),
      c('eta', 'string', 'Display text ("ARR", "5 mins", "1h05"); null for the sentinel', { field: 'eta', notSet: [MDASH, ''] }),
      c('diff', 'string', 'Lateness class: goo, med, bad', { field: 'diff', optional: true }),
      c('diff_min', 'int32', 'Minutes late (negative = early)', { field: 'diffMin', optional: true }),
      c('cancelled', 'bool', 'Stop cancelled', { field: 'cancelled', optional: true, absent: false }),
      c('replaced_mode', 'string', 'Replacement: "train" or "alternate"', { field: 'replaced.mode', optional: true }),
      c('replaced_services', 'string_list', 'Replacing train numbers', { field: 'replaced.services', optional: true }),
      ...lineage,
    ],
  },
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** Rows of several tables produced from one raw object. */
export type TableRows = Partial<Record<TableName, Row[]>>;
