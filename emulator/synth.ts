/**
 * The template the emulation runs: `cdk synth` exactly as a deploy would run it (offline:
 * no account, no lookups; cdk-nag included; the bundles built by esbuild), into an output
 * directory of the caller's choice.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (cdk.json, cdk/, node_modules). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..').replace(/\/dist$/, '');

/** Runs `npx cdk synth -o outdir -c k=v …`; resolves to the stack's template file. */
export async function synthesize(outdir: string, context: Record<string, string>): Promise<string> {
  const args = ['cdk', 'synth', '--quiet', '-o', outdir, ...Object.entries(context).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done) => {
    const child = spawn('npx', args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (c) => done({ code: c, output }));
  });
  if (code !== 0) throw new Error(`cdk synth failed (exit ${code}):\n${output.trim().split('\n').slice(-15).join('\n')}`);
  return existingTemplate(outdir);
}

/** The one stack template in a cloud assembly directory. */
export function existingTemplate(outdir: string): string {
  const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  if (templates.length !== 1) throw new Error(`cdk synth: expected one stack in ${outdir}, found ${templates.join(', ') || 'none'}`);
  return join(resolve(outdir), templates[0]);
}
