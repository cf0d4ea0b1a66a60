#!/usr/bin/env node
import { FatalError } from '../core/errors.js';
import { UsageError } from './args.js';

// On Node 20 the AWS SDK prints a paragraph at its first client (its releases after January 2027
// need Node 22); the lockfile pins today's, and README says it once instead of every `scraper cloud`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `scraper query … | head`: a reader that has read enough is not an error. What is left to print is
// dropped; the command itself finishes (a redrive still redrives) and exits with its own status.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.stdout.write = (() => true) as typeof process.stdout.write;
});

const HELP = `scraper: a fast, polite scraper for the MaxSold and VIA Rail JSON APIs

Usage: scraper <command> [options]

Commands:
  demo        start the built-in API simulator and run the whole pipeline against it (npm start)
  run         scrape: "run maxsold --ids 100000-100500" or "run via --every 60s"
  query       SQL over the Parquet tables with DuckDB
  simulate    serve both APIs on 127.0.0.1 with realistic payloads, limits and faults
  reprocess   rebuild every table from the raw responses
  compact     merge each partition's small Parquet files into parts of up to 2,000 files
  schema      print the tables' columns as Markdown
  invoke      run a Lambda handler in-process with local adapters (no Docker needed)
  cloud       run the deployed AWS topology locally for simulated days, check it, print the bill
  sam-env     write sam local's --env-vars from the deployed stack's outputs, fetch pointed at a simulator
  status      summarise a data directory: fetched, missing, quarantined by reason
  redrive     fetch the quarantined items again
  bench       measure each stage: naive vs async vs parallel, fetch-stage CPU, normaliser scaling
  tune        sweep concurrency against the simulator or an endpoint and recommend one

Run "scraper <command> --help" for a command's options; "scraper --version" for the version.`;

type Command = (args: string[]) => Promise<number>;

/** Each command loads what it uses and nothing else (`--help` loads none of them). */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).runCommand,
  query: async () => (await import('./commands/query.js')).queryCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  simulate: async () => (await import('./commands/simulate.js')).simulateCommand,
  reprocess: async () => (await import('./commands/reprocess.js')).reprocessCommand,
  compact: async () => (await import('./commands/compact.js')).compactCommand,
  schema: async () => (await import('./commands/schema.js')).schemaCommand,
  invoke: async () => (await import('./commands/invoke.js')).invokeCommand,
  cloud: async () => (await import('./commands/cloud.js')).cloudCommand,
  'sam-env': async () => (await import('./commands/sam-env.js')).samEnvCommand,
  status: async () => (await import('./commands/status.js')).statusCommand,
  redrive: async () => (await import('./commands/redrive.js')).redriveCommand,
  bench: async () => (await import('./commands/bench.js')).benchCommand,
  tune: async () => (await import('./commands/tune.js')).tuneCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    const { findUp } = await import('../adapters/find-up.js');
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(`${findUp(import.meta.url, 'package.json')}/package.json`, 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) throw new UsageError(`unknown command "${name}"; expected one of ${Object.keys(COMMANDS).join(', ')} (scraper --help)`);
  return (await load())(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`scraper: ${e.message}\n`);
      process.exitCode = 2;
    } else if (e instanceof FatalError) {
      process.stderr.write(`scraper: ${e.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`scraper: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
