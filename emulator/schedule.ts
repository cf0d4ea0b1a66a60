/**
 * EventBridge schedule expressions: when `rate(…)` or `cron(…)` next fires after an
 * instant (UTC). Rates fire on whole multiples of their period, as a rule created at
 * midnight would; crons take EventBridge's six fields (minutes hours day-of-month month
 * day-of-week year) with `*`, `?`, lists, ranges and steps.
 */

const MINUTE = 60_000;
const UNITS: Record<string, number> = { minute: MINUTE, hour: 60 * MINUTE, day: 1440 * MINUTE };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export interface Schedule {
  /** The first firing strictly after `afterMs`. */
  next(afterMs: number): number;
  /** Milliseconds between firings when regular (a rate), for reports. */
  periodMs?: number;
}

function field(text: string, min: number, max: number, names: string[] = [], nameBase = min): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const value = (v: string) => {
      const i = names.indexOf(v.toUpperCase());
      const n = i >= 0 ? i + nameBase : v === '' ? NaN : Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new Error(`cron: "${v}" is not in ${min}-${max}`);
      return n;
    };
    let lo = min;
    let hi = max;
    if (range !== '*' && range !== '?') {
      const [a = '', b] = range.split('-');
      lo = value(a);
      hi = b === undefined ? (stepText === undefined ? lo : max) : value(b);
    }
    if (!Number.isInteger(step) || step < 1) throw new Error(`cron: bad step in "${part}"`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}

export function parseSchedule(expression: string): Schedule {
  const [, count, unit = ''] = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression) ?? [];
  const unitMs = UNITS[unit];
  if (count !== undefined && unitMs !== undefined) {
    const periodMs = Number(count) * unitMs;
    return { periodMs, next: (after) => (Math.floor(after / periodMs) + 1) * periodMs };
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(expression);
  if (!cron) throw new Error(`schedule: expected rate(…) or cron(…), got "${expression}"`);
  // Each group matched \S+: a default of '' fails as no value.
  const [, mi = '', ho = '', dom = '', mo = '', dow = '', yr = ''] = cron;
  if (/[LW#]/.test(dom + dow)) throw new Error(`cron: L, W and # are not supported here ("${expression}")`);
  const minutes = field(mi, 0, 59);
  const hours = field(ho, 0, 23);
  const days = field(dom, 1, 31);
  const months = field(mo, 1, 12, MONTHS, 1);
  const weekdays = field(dow, 1, 7, DAYS, 1);
  const years = yr === '*' ? null : field(yr, 1970, 2199);
  const anyDom = dom === '*' || dom === '?';
  const anyDow = dow === '*' || dow === '?';
  return {
    next(after) {
      let t = (Math.floor(after / MINUTE) + 1) * MINUTE;
      // A minute at a time, skipping whole hours and days that cannot match.
      for (let guard = 0; guard < 400 * 1440; guard++) {
        const d = new Date(t);
        const dayOk = (anyDom || days.has(d.getUTCDate())) && (anyDow || weekdays.has(d.getUTCDay() + 1));
        if (!months.has(d.getUTCMonth() + 1) || !dayOk || (years && !years.has(d.getUTCFullYear()))) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
          continue;
        }
        if (!hours.has(d.getUTCHours())) {
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
          continue;
        }
        if (minutes.has(d.getUTCMinutes())) return t;
        t += MINUTE;
      }
      throw new Error(`cron: "${expression}" does not fire within 400 days of ${new Date(after).toISOString()}`);
    },
  };
}
