/**
 * The template the emulation runs: `cdk synth` exactly as a deploy would run it (offline:
 * no account, no lookups; cdk-nag included; the bundles built by esbuild), into an output
 * directory of the caller's choice. A synth is skipped when the directory already holds
 * one of the same sources and settings (its fingerprint is stamped beside the template).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { findUp } from '../adapters/find-up.js';
import { FatalError } from '../core/errors.js';

/** The repository root (cdk.json, cdk/, node_modules), from the sources, dist/ or a test run's copy. */
export const PROJECT_ROOT = findUp(import.meta.url, 'cdk.json');

/** What a synth reads: the stack, the code bundled into the functions, the lock file and cdk.json. */
const SYNTH_INPUT_DIRS = ['cdk', 'functions', 'adapters', 'core'];
const SYNTH_INPUT_FILES = ['cdk.json', 'package-lock.json'];

/** Written beside the template after a synth completes. */
export const SYNTH_STAMP = 'scraper-synth.json';

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** A hash of every synth input and the context: equal fingerprints, equal templates and bundles. */
export function synthFingerprint(context: Record<string, string>, root = PROJECT_ROOT): string {
  const h = createHash('sha256');
  const files = [...SYNTH_INPUT_DIRS.flatMap((d) => sourceFiles(join(root, d))), ...SYNTH_INPUT_FILES.map((f) => join(root, f))];
  for (const file of files) {
    h.update(file.slice(root.length)).update('\0');
    h.update(existsSync(file) ? readFileSync(file) : '(none)').update('\0');
  }
  h.update(JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))));
  return h.digest('hex').slice(0, 20);
}

/** The project's own CDK CLI (what `npx cdk` runs), started by node directly. */
const CDK_CLI = join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

/** Runs `cdk synth -o outdir -c k=v …`; resolves to the stack's template file. */
export async function synthesize(outdir: string, context: Record<string, string>): Promise<string> {
  const args = [CDK_CLI, 'synth', '--quiet', '-o', outdir, ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (c) => done({ code: c, output }));
  });
  // Its output says why; no stack of ours would add to it.
  if (code !== 0) throw new FatalError(`cdk synth failed (exit ${code}):\n${output.trim().split('\n').slice(-15).join('\n')}`);
  return existingTemplate(outdir);
}

/**
 * A synth into `outdir` unless it already holds one of the same fingerprint. The stamp is
 * removed before and written after a synth, so an interrupted one is never reused.
 */
export async function synthesizeUnlessCurrent(
  outdir: string,
  context: Record<string, string>,
): Promise<{ templateFile: string; reused: boolean; fingerprint: string }> {
  const fingerprint = synthFingerprint(context);
  const stamp = join(outdir, SYNTH_STAMP);
  try {
    if ((JSON.parse(readFileSync(stamp, 'utf8')) as { fingerprint?: string }).fingerprint === fingerprint) {
      return { templateFile: existingTemplate(outdir), reused: true, fingerprint };
    }
  } catch {
    // No stamp, or not ours: synthesize.
  }
  rmSync(stamp, { force: true });
  const templateFile = await synthesize(outdir, context);
  writeFileSync(stamp, JSON.stringify({ fingerprint, context }, null, 2) + '\n');
  return { templateFile, reused: false, fingerprint };
}

/** The one stack template in a cloud assembly directory. */
export function existingTemplate(outdir: string): string {
  const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  if (templates.length !== 1) throw new Error(`cdk synth: expected one stack in ${outdir}, found ${templates.join(', ') || 'none'}`);
  return join(resolve(outdir), templates[0]!);
}

/**
 * Lambda's Node.js runtime provides the AWS SDK, which the bundles leave out; here the
 * project's node_modules stands in, found by Node from the bundle's directory upwards.
 * An output directory outside the project gets a link to it.
 */
export function provideRuntimeModules(outdir: string): void {
  const inside = !relative(PROJECT_ROOT, outdir).startsWith('..');
  const link = join(outdir, 'node_modules');
  if (!inside && !existsSync(link)) symlinkSync(join(PROJECT_ROOT, 'node_modules'), link, 'dir');
}
