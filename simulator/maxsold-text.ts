/**
 * The words of a generated auction: its title, pickup text, intro and item titles,
 * drawn from small pools and from the recorded seed so they read like real listings.
 */
import { intBetween, pick, type Rng } from './prng.js';

export interface Place {
  city: string;
  province: string;
  code: string;
  timeZone: string;
  /** First letter of the province's postal codes. */
  postal: string;
}

// Toronto-heavy like the real catalogue. MaxSold labels Eastern auctions America/New_York.
const PLACES: readonly Place[] = [
  { city: 'Toronto', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'M' },
  { city: 'Toronto', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'M' },
  { city: 'Toronto', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'M' },
  { city: 'Mississauga', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'L' },
  { city: 'Oakville', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'L' },
  { city: 'Hamilton', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'L' },
  { city: 'Ottawa', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'K' },
  { city: 'Markham', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'L' },
  { city: 'Kitchener', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'N' },
  { city: 'Barrie', province: 'Ontario', code: 'ON', timeZone: 'America/New_York', postal: 'L' },
  { city: 'Montreal', province: 'Quebec', code: 'QC', timeZone: 'America/New_York', postal: 'H' },
  { city: 'Halifax', province: 'Nova Scotia', code: 'NS', timeZone: 'America/Halifax', postal: 'B' },
  { city: 'Winnipeg', province: 'Manitoba', code: 'MB', timeZone: 'America/Winnipeg', postal: 'R' },
  { city: 'Regina', province: 'Saskatchewan', code: 'SK', timeZone: 'America/Regina', postal: 'S' },
  { city: 'Calgary', province: 'Alberta', code: 'AB', timeZone: 'America/Edmonton', postal: 'T' },
  { city: 'Edmonton', province: 'Alberta', code: 'AB', timeZone: 'America/Edmonton', postal: 'T' },
  { city: 'Vancouver', province: 'British Columbia', code: 'BC', timeZone: 'America/Vancouver', postal: 'V' },
  { city: 'Victoria', province: 'British Columbia', code: 'BC', timeZone: 'America/Vancouver', postal: 'V' },
];

const KINDS = [
  'Commercial Liquidation',
  'Downsizing',
  'Estate Sale',
  'Moving',
  'Renovation',
  'Business Closure',
  'Downsizing Moving',
  'Collectibles',
];
const STREETS = [
  'Clinton Street',
  'Queen Street West',
  'Bloor Street',
  'Yonge Street',
  'Lakeshore Road',
  'Main Street',
  'King Street East',
  'Dundas Street',
  'Elm Drive',
  'Maple Avenue',
  'Church Street',
  'Bayview Avenue',
  'Pine Crescent',
  'Victoria Park Avenue',
];
// About 1% of real titles carry an entity (19/1905): these streets produce them.
const ODD_STREETS = ["O'Connor Drive", "D'Arcy Street", 'Highway 7 & Bathurst', '93.7 & 105.5 Road'];
const FEATURES = [
  'furniture',
  'tools',
  'kitchenware',
  'home decor',
  'art',
  'lamps',
  'books',
  'vintage items',
  'electronics',
  'garden equipment',
  'rugs',
  'collectibles',
  'jewellery',
  'office supplies',
  'sports gear',
  'patch cables &amp; adapters',
  'pots &amp; pans',
  'linens',
  'toys',
  'glassware',
];
const TITLE_PREFIXES = ['2x ', 'Vintage ', 'Collector&#39;s ', 'Assorted ', 'Pair of ', 'Box of '];
const TITLE_SUFFIXES = [' - Lot B', ' (12&#34;)', ' &#38; More', ' (As Is)', ' - New in Box', ' with Case'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The same escaping the API applies to titles (and only titles). */
export function encodeTitle(text: string): string {
  return text.replace(/&/g, '&#38;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');
}

export interface AuctionWords {
  place: Place;
  street: string;
  postal: string;
  partner: boolean;
  title: string;
}

export function auctionWords(rng: Rng): AuctionWords {
  const place = pick(rng, PLACES);
  const street = rng() < 0.012 ? pick(rng, ODD_STREETS) : pick(rng, STREETS);
  const partner = rng() < 0.158; // 302/1914 real auctions have a partner_url
  const L = 'ABCEGHJKLMNPRSTVXY';
  const postal = `${place.postal}${intBetween(rng, 1, 9)}${pick(rng, L)} ${intBetween(rng, 1, 9)}${pick(rng, L)}${intBetween(rng, 1, 9)}`;
  const manager = partner ? 'PARTNER MANAGED' : 'SELLER MANAGED';
  const title = encodeTitle(`${place.city} (${place.province}, Canada) ${manager} ${pick(rng, KINDS)} Online Auction - ${street}`);
  return { place, street, postal, partner, title };
}

/** The seed's pickup HTML with this auction's date, slot and address. */
export function removalInfo(seed: string, w: AuctionWords, pickupLocalMs: number, category: string): string {
  const d = new Date(pickupLocalMs);
  const date = `${DAYS[d.getUTCDay()]}, ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, '0')} ${d.getUTCFullYear()}`;
  const address = `${w.street}, ${w.place.city}, ${w.place.code}, ${w.postal}`;
  const mapQuery = encodeURIComponent(address).replace(/%20/g, '+');
  return seed
    .replace('Sun, January 04 2026', date)
    .replace('Category A:', `Category ${category}:`)
    .replace('Clinton Street, Toronto, ON, M6J 2N9', address.replace(/&/g, '&amp;'))
    .replace('Clinton+Street%2C+Toronto%2C+ON%2C+M6J+2N9', mapQuery);
}

/** The seed's intro with another feature list; the literal backslash-n quirk stays. */
export function intro(seed: string, rng: Rng): string {
  const start = seed.indexOf('features ') + 'features '.length;
  const end = seed.indexOf(', and more!');
  if (start < 'features '.length || end < start) return seed;
  const pool = FEATURES.slice();
  const chosen: string[] = [];
  for (let n = intBetween(rng, 5, 10); n > 0; n--) {
    const [feature] = pool.splice(Math.floor(rng() * pool.length), 1);
    if (feature !== undefined) chosen.push(feature);
  }
  return seed.slice(0, start) + chosen.join(', ') + seed.slice(end);
}

/** A seed title (already entity-encoded), sometimes varied; a trailing space is kept where it is. */
export function itemTitle(seedTitle: string, rng: Rng): string {
  const body = seedTitle.trimEnd();
  const tail = seedTitle.slice(body.length);
  const r = rng();
  if (r < 0.12) return pick(rng, TITLE_PREFIXES) + seedTitle;
  if (r < 0.24) return body + pick(rng, TITLE_SUFFIXES) + tail;
  if (r < 0.27) return body + ' '; // real titles end in a space about 5% of the time
  return seedTitle;
}

/** A seed description (plain text, never encoded), sometimes with an extra sentence. */
export function itemDescription(seedDescription: string, rng: Rng, category: string): string {
  let text = seedDescription.replace('timeslot {A}', `timeslot {${category}}`);
  const r = rng();
  if (r < 0.08) text = `Tested & working. ${text}`;
  else if (r < 0.14) text = `Owner’s note: some wear. ${text}`;
  return text;
}

const slugs = new Map<string, string>();

/** The image file stem the CDN uses: `w` + lower-case title, punctuation dropped, spaces as `_`. */
export function imageSlug(encodedTitle: string): string {
  let slug = slugs.get(encodedTitle);
  if (slug === undefined) {
    const plain = encodedTitle.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
    slug =
      'w' +
      plain
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .trim()
        .replace(/\s+/g, '_');
    if (slugs.size > 10_000) slugs.clear(); // titles come from a small pool; this is a guard only
    slugs.set(encodedTitle, slug);
  }
  return slug;
}
