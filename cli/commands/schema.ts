import { TABLES, TABLE_NAMES, type ColumnType } from '../../core/tables.js';
import { parse } from '../args.js';
import { requireNoPositionals } from '../common.js';

export const SCHEMA_HELP = `Usage: scraper schema

Prints every table's columns (name, type, meaning) as Markdown: the same text the
README's "Tables" section holds.`;

const SQL: Record<ColumnType, string> = {
  string: 'string', int32: 'int', int64: 'bigint', float64: 'double', bool: 'boolean',
  timestamp: 'timestamp (UTC)', date: 'date', string_list: 'array<string>',
};

export function schemaMarkdown(): string {
  const parts: string[] = [];
  for (const name of TABLE_NAMES) {
    const t = TABLES[name];
    parts.push(`### \`${name}\``, '', `${t.doc} Identity: (${t.identity.join(', ')}). Partitioned by \`dt\` (the run's UTC date).`, '', '| column | type | meaning |', '|---|---|---|');
    for (const c of t.columns) parts.push(`| \`${c.name}\` | ${SQL[c.type]} | ${c.doc.replaceAll('|', '\\|')} |`);
    parts.push('');
  }
  return parts.join('\n');
}

export async function schemaCommand(args: string[]): Promise<number> {
  const p = parse(args, {});
  if (p.values.help) return void process.stdout.write(SCHEMA_HELP + '\n'), 0;
  requireNoPositionals(p, 'scraper schema --help');
  process.stdout.write(schemaMarkdown());
  return 0;
}
