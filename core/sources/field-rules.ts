import type { ColumnType } from '../tables.js';
import { TYPE_RANGE } from './fields.js';

/**
 * What each type's reader (fields.ts) accepts, casts and counts, in words: the field
 * contract in docs/field-contract.md is generated from these and the column declarations
 * in tables.ts.
 */
export interface TypeRule {
  accepts: string;
  /** Lossless casts: the value is kept, the cast counted. */
  casts: string;
  /** Everything else: null (or as stated), counted. */
  otherwise: string;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const time = TYPE_RANGE.timestamp!;
const number = (n: number) => n.toLocaleString('en-US');

const INTEGER: TypeRule = {
  accepts: 'an integer (a JSON number without a fraction)',
  casts: 'a string holding a JSON number (`"7"`): `numeric_string`',
  otherwise: '`not_number` (`true`, `{}`, `" 7"`), `not_integer` (`2.5`), `out_of_range`',
};

export const TYPE_RULES: Record<ColumnType, TypeRule> = {
  int32: {
    ...INTEGER,
    accepts: `${INTEGER.accepts} from ${number(TYPE_RANGE.int32!.min)} to ${number(TYPE_RANGE.int32!.max)}, or the column's narrower range`,
  },
  int64: {
    ...INTEGER,
    accepts: `${INTEGER.accepts} up to ±${number(TYPE_RANGE.int64!.max)} (2^53 − 1: past it, JSON.parse has already rounded the number), or the column's narrower range`,
  },
  float64: {
    accepts: "a finite JSON number, within the column's range if it has one",
    casts: INTEGER.casts,
    otherwise: '`not_number`, `out_of_range` (also `1e400`, which parses as Infinity)',
  },
  bool: { accepts: '`true` or `false`', casts: '`"true"` or `"false"`: `boolean_string`', otherwise: '`not_boolean` (`1`, `"yes"`)' },
  string: {
    accepts:
      'a string. Text that is not Unicode, a byte that is not UTF-8 or a lone surrogate escape (`\\ud800`), is kept as U+FFFD and counted `invalid_unicode`',
    casts: 'an integer, as its digits: `numeric_value`',
    otherwise: '`not_string`',
  },
  timestamp: {
    accepts:
      '`YYYY-MM-DDTHH:MM:SS`, an optional fraction of a second (cut to milliseconds), then `Z`, `±HH:MM` or `±HHMM` (at most ±18:00); ' +
      `a day and time that exist; ${day(time.min)} to ${day(time.max)} (UTC). \`""\` and \`&mdash;\` mean "not set": null`,
    casts: 'none',
    otherwise: '`bad_timestamp` (`2026-02-30`, `25:00`, `12:00:60`, no offset, a number), `out_of_range`',
  },
  date: {
    accepts: `\`YYYY-MM-DD\`, a day that exists, ${day(TYPE_RANGE.date!.min * 86_400_000)} to ${day(TYPE_RANGE.date!.max * 86_400_000)}`,
    casts: 'none',
    otherwise: "an identity: the record is skipped (see the table's rules)",
  },
  string_list: {
    accepts: 'a list of strings, each read as a string is',
    casts: 'an integer element, as its digits: `numeric_value`',
    otherwise: 'not a list: an empty list, `not_array`; an element that is not a string: left out, `not_string`',
  },
};
