import { TYPE_RULES } from '../../core/sources/field-rules.js';
import { TABLES, TABLE_NAMES, type Column, type ColumnType } from '../../core/tables.js';
import { parse } from '../args.js';
import { requireNoPositionals } from '../common.js';

export const SCHEMA_HELP = `Usage: scraper schema [--contract]

Prints every table's columns (name, type, meaning) as Markdown: the same text
docs/tables.md holds between its schema markers.

Options:
      --contract       print the field contract instead (docs/field-contract.md): what
                       each API field may hold, and what happens otherwise
  -h, --help           show this help`;

const SQL: Record<ColumnType, string> = {
  string: 'string',
  int32: 'int',
  int64: 'bigint',
  float64: 'double',
  bool: 'boolean',
  timestamp: 'timestamp (UTC)',
  date: 'date',
  string_list: 'array<string>',
};

export function schemaMarkdown(): string {
  const parts: string[] = [];
  for (const name of TABLE_NAMES) {
    const t = TABLES[name];
    parts.push(
      `### \`${name}\``,
      '',
      `${t.doc} Identity: (${t.identity.join(', ')}). Partitioned by \`dt\` (the run's UTC date).`,
      '',
      '| column | type | meaning |',
      '|---|---|---|',
    );
    for (const c of t.columns) parts.push(`| \`${c.name}\` | ${SQL[c.type]} | ${c.doc.replaceAll('|', '\\|')} |`);
    parts.push('');
  }
  return parts.join('\n');
}

const cell = (s: string) => s.replaceAll('|', '\\|');

/** One line of what a column's declaration adds to its type's rule. */
function sourceRule(c: Column): string {
  const s = c.source!;
  const parts: string[] = [];
  if (s.identity) parts.push('identity (see the rules below)');
  if (s.min !== undefined && s.max !== undefined) parts.push(`${s.min} to ${s.max}`);
  else if (s.min !== undefined) parts.push(`at least ${s.min}`);
  if (s.notSet) parts.push(`${s.notSet.map((v) => `\`${JSON.stringify(v)}\``).join(', ')}: null, not counted`);
  if (s.optional)
    parts.push(
      `often absent: ${s.absent !== undefined ? `\`${s.absent}\`` : c.type === 'string_list' ? 'an empty list' : 'null'}, not counted`,
    );
  if (s.decode) parts.push(s.decode === 'entities' ? 'HTML entities decoded' : 'HTML entities decoded, then trimmed');
  if (s.json) parts.push('kept as JSON text; an empty list is null');
  return parts.join('; ') || 'as the type';
}

/** The field contract (docs/field-contract.md): each type's rule, then each table's fields and record rules. */
export function contractMarkdown(): string {
  const parts = [
    '| type | accepts | cast, kept and counted | otherwise null, counted |',
    '|---|---|---|---|',
    ...(Object.keys(TYPE_RULES) as ColumnType[]).map(
      (t) => `| ${SQL[t]} | ${cell(TYPE_RULES[t].accepts)} | ${cell(TYPE_RULES[t].casts)} | ${cell(TYPE_RULES[t].otherwise)} |`,
    ),
    '',
  ];
  for (const name of TABLE_NAMES) {
    const t = TABLES[name];
    parts.push(`#### \`${name}\``, '', '| API field | column | type | rule |', '|---|---|---|---|');
    for (const c of t.columns)
      if (c.source) parts.push(`| \`${c.source.field}\` | \`${c.name}\` | ${SQL[c.type]} | ${cell(sourceRule(c))} |`);
    parts.push('', ...t.rules.map((r) => `- ${r}`), '');
  }
  return parts.join('\n');
}

export async function schemaCommand(args: string[]): Promise<number> {
  const p = parse(args, { contract: { type: 'boolean' } });
  if (p.values.help) return (void process.stdout.write(SCHEMA_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper schema --help');
  process.stdout.write(p.values.contract ? contractMarkdown() : schemaMarkdown());
  return 0;
}
