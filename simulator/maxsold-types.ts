/** The shapes of MaxSold's `/msapi/auctions/items` payload, keys in the API's order. */

/** One element of `auction.items`: the 24 keys in the API's order. */
export interface MaxsoldItem {
  id: number;
  auction_id: string;
  title: string;
  description: string;
  taxable: boolean;
  viewed: number;
  minimum_bid: number;
  starting_bid: number;
  current_bid: number;
  proxy_bid: number;
  start_time: string;
  end_time: string;
  lot_number: string;
  bid_count: number;
  bidding_extended: boolean;
  buyer_premium: number;
  pickup_schedule_id: number;
  pickup_schedule_title: null;
  images: string[];
  is_favorite: boolean;
  winning: boolean;
  timezone: string;
  pusher_channel: string;
  user_has_bid_this_lot: boolean;
}

/** The `auction` object: the 22 keys in the API's order. */
export interface AuctionModel {
  id: number;
  title: string;
  starts: string;
  ends: string;
  last_item_closes: string;
  lic_channel: string;
  lic_url: string;
  item_description_append: string;
  removal_info: string;
  inspection_info: string;
  intro: string;
  disclaimers: string;
  pickup_time: string;
  user_has_bid: boolean;
  partner_url: string;
  partner_logo: string;
  extended_bidding: boolean;
  extended_bidding_interval: number;
  extended_bidding_threshold: number;
  agreement_terms: string;
  catalog_lots: number;
  items: MaxsoldItem[];
}

export interface ItemsQuery {
  /** Items per page; without it the API returns at most DEFAULT_ITEM_CAP. */
  limit?: number;
  /** Index of the first item (default 0); only honoured with `limit`. */
  offset?: number;
  /** One item with its `bid_history`. */
  itemId?: number;
}
