import { TABLE_NAMES, TABLES, type TableName } from './tables.js';

/** A saved Athena query: what it answers and its SQL (Athena engine v3, Trino). */
export interface NamedQuery {
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/**
 * A table's columns by name. Reading a column core/tables.ts does not define throws,
 * so a renamed column fails the synth instead of a query in the console.
 */
function columnsOf(table: TableName): Readonly<Record<string, string>> {
  const names = new Set(TABLES[table].columns.map((c) => c.name));
  return new Proxy(
    {},
    {
      get(_target, key) {
        if (typeof key !== 'string' || !names.has(key)) throw new Error(`named query: table ${table} has no column ${String(key)}`);
        return key;
      },
    },
  );
}

/** Partitions of the last `days` days (dt is a yyyy-MM-dd string); keeps scans, and bills, small. */
const since = (days: number) => `dt >= date_format(current_date - INTERVAL '${days}' DAY, '%Y-%m-%d')`;

/**
 * The questions the tables exist to answer. Rows are snapshots (one per fetch), so each
 * query first takes every entity's latest snapshot (`max_by(…, fetched_at)` or
 * `row_number()` over fetched_at), then aggregates.
 */
export function namedQueries(database: string): NamedQuery[] {
  const t = (table: TableName) => `${database}.${table}`;
  const a = columnsOf('maxsold_auctions');
  const i = columnsOf('maxsold_items');
  const s = columnsOf('via_train_stops');

  return [
    {
      name: 'maxsold-auction-totals',
      description: "Items per auction and their final prices, from each item's latest snapshot (last 30 days of fetches).",
      sql: `WITH latest_item AS (
  SELECT ${i.auction_id}, ${i.item_id},
         max_by(${i.current_bid}, ${i.fetched_at}) AS final_bid,
         max_by(${i.bid_count}, ${i.fetched_at}) AS bid_count,
         max_by(${i.end_at}, ${i.fetched_at}) AS end_at
  FROM ${t('maxsold_items')}
  WHERE ${since(30)}
  GROUP BY ${i.auction_id}, ${i.item_id}
)
SELECT ${i.auction_id},
       count(*) AS items,
       count_if(bid_count > 0) AS items_with_bids,
       sum(final_bid) AS total_final_bids,
       max(final_bid) AS top_final_bid,
       approx_percentile(final_bid, 0.5) AS median_final_bid,
       max(end_at) AS last_lot_closes_at,
       max(end_at) < current_timestamp AS closed
FROM latest_item
GROUP BY ${i.auction_id}
ORDER BY last_lot_closes_at DESC`,
    },
    {
      name: 'maxsold-item-final-prices',
      description:
        'Every closed lot with its final price: the latest snapshot of each item whose lot has closed (last 30 days of fetches).',
      sql: `SELECT ${i.auction_id}, ${i.item_id}, ${i.lot_number}, ${i.title},
       ${i.current_bid} AS final_bid, ${i.bid_count}, ${i.end_at}, ${i.fetched_at} AS as_of
FROM (
  SELECT *, row_number() OVER (PARTITION BY ${i.auction_id}, ${i.item_id} ORDER BY ${i.fetched_at} DESC) AS snapshot_rank
  FROM ${t('maxsold_items')}
  WHERE ${since(30)}
)
WHERE snapshot_rank = 1 AND ${i.end_at} < current_timestamp
ORDER BY ${i.auction_id}, ${i.item_id}`,
    },
    {
      name: 'maxsold-closing-next-24h',
      description: 'Auctions whose lots close in the next 24 hours, with item count, bid count and bid total from the latest snapshots.',
      sql: `WITH latest_auction AS (
  SELECT ${a.auction_id},
         max_by(${a.title}, ${a.fetched_at}) AS title,
         max_by(${a.ends_at}, ${a.fetched_at}) AS ends_at,
         max_by(${a.last_item_closes_at}, ${a.fetched_at}) AS last_item_closes_at
  FROM ${t('maxsold_auctions')}
  WHERE ${since(14)}
  GROUP BY ${a.auction_id}
), latest_item AS (
  SELECT ${i.auction_id}, ${i.item_id},
         max_by(${i.current_bid}, ${i.fetched_at}) AS current_bid,
         max_by(${i.bid_count}, ${i.fetched_at}) AS bid_count
  FROM ${t('maxsold_items')}
  WHERE ${since(14)}
  GROUP BY ${i.auction_id}, ${i.item_id}
)
SELECT la.auction_id, la.title, la.ends_at, la.last_item_closes_at,
       count(li.item_id) AS items,
       coalesce(sum(li.bid_count), 0) AS bids,
       coalesce(sum(li.current_bid), 0) AS bid_total
FROM latest_auction la
LEFT JOIN latest_item li ON li.auction_id = la.auction_id
WHERE la.ends_at <= current_timestamp + INTERVAL '24' HOUR
  AND coalesce(la.last_item_closes_at, la.ends_at) >= current_timestamp
GROUP BY la.auction_id, la.title, la.ends_at, la.last_item_closes_at
ORDER BY la.ends_at`,
    },
    {
      name: 'via-late-trains-by-station-day',
      description:
        'Per station and service day: trains calling, trains more than 15 minutes late (latest estimate at that stop), and the worst delay (last 14 days).',
      sql: `WITH latest_stop AS (
  SELECT ${s.train_number}, ${s.instance}, ${s.stop_index},
         max_by(${s.station}, ${s.snapshot_at}) AS station,
         max_by(${s.diff_min}, ${s.snapshot_at}) AS diff_min,
         max_by(${s.cancelled}, ${s.snapshot_at}) AS cancelled
  FROM ${t('via_train_stops')}
  WHERE ${since(14)}
  GROUP BY ${s.train_number}, ${s.instance}, ${s.stop_index}
)
SELECT ${s.instance} AS service_day, station,
       count(*) AS trains_calling,
       count_if(diff_min > 15) AS late_trains,
       round(100.0 * count_if(diff_min > 15) / count(*), 1) AS pct_late,
       max(diff_min) AS worst_delay_min
FROM latest_stop
WHERE NOT coalesce(cancelled, false)
GROUP BY ${s.instance}, station
HAVING count_if(diff_min > 15) > 0
ORDER BY service_day DESC, late_trains DESC, station`,
    },
    {
      name: 'table-freshness',
      description: 'Rows, raw objects and the latest fetch per day per table (last 14 days): a gap or a stale day shows at a glance.',
      sql: `${TABLE_NAMES.map((table) => {
        const c = columnsOf(table);
        return `SELECT '${table}' AS table_name, dt, count(*) AS row_count, count(DISTINCT ${c.source_key}) AS raw_objects, max(${c.fetched_at}) AS last_fetched_at
FROM ${t(table)}
WHERE ${since(14)}
GROUP BY dt`;
      }).join('\nUNION ALL\n')}
ORDER BY dt DESC, table_name`,
    },
  ];
}
