import { fileURLToPath } from 'node:url';

/** A program of this project as a fresh process: the built CLI (or its sources under tsx, in tests), or a bench script. */
export interface Program {
  /** Node flags the program needs (tsx under the sources). */
  execArgv: string[];
  script: string;
}

const SOURCES = import.meta.url.endsWith('.ts');

/** The `scraper` command as a user runs it (`node dist/cli/main.js`). */
export function cliProgram(): Program {
  return {
    execArgv: SOURCES ? ['--import', 'tsx'] : [],
    script: fileURLToPath(new URL(SOURCES ? '../cli/main.ts' : '../cli/main.js', import.meta.url)),
  };
}

/** A script of the bench (bare-baseline) as its own process. */
export function benchProgram(name: string): Program {
  return {
    execArgv: SOURCES ? ['--import', 'tsx'] : [],
    script: fileURLToPath(new URL(SOURCES ? `./${name}.ts` : `./${name}.js`, import.meta.url)),
  };
}
