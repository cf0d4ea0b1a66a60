import { readFileSync, writeFileSync } from 'node:fs';
import { parse, str, url, UsageError } from '../args.js';
import { requireNoPositionals } from '../common.js';

export const SAM_ENV_HELP = `Usage: scraper sam-env [--template FILE] [--outputs FILE] [--base-url URL] [--out FILE]

Writes the --env-vars file for "sam local invoke": each function's variables as the
template declares them, with every reference (bucket, queues) replaced by the deployed
value from "cdk deploy --outputs-file", and BASE_URL pointed at a local simulator so a
fetch run locally never calls the real APIs.

Options:
      --template FILE   the synthesized template (default cdk.out/ApiScraper.template.json)
      --outputs FILE    written by "cdk deploy --outputs-file FILE" (default cdk-outputs.json)
      --base-url URL    the APIs as the container reaches them (default http://host.docker.internal:8080,
                        "scraper simulate --port 8080" on the host; with Docker Engine on Linux, start
                        it with --host 172.17.0.1, the bridge's address, and pass "sam local invoke"
                        --add-host host.docker.internal:172.17.0.1)
      --out FILE        where to write (default sam-env.json)
  -h, --help            show this help`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/**
 * `{ "<logical id>": { VAR: value } }` for every function: literals as they are, each
 * `Ref`/`Fn::GetAtt` resolved through the stack output whose value is that same
 * reference (BucketName, WorkQueueUrl, …), BASE_URL set on the fetch function.
 */
export function samEnvVars(template: Json, outputs: Record<string, string>, baseUrl: string): Record<string, Record<string, string>> {
  const byReference = new Map<string, string>();
  for (const [name, output] of Object.entries((template.Outputs ?? {}) as Record<string, { Value: Json }>)) {
    const value = outputs[name];
    if (typeof output.Value === 'object' && value !== undefined) byReference.set(JSON.stringify(output.Value), value);
  }
  const env: Record<string, Record<string, string>> = {};
  for (const [id, r] of Object.entries(template.Resources as Record<string, { Type: string; Properties?: Json }>)) {
    if (r.Type !== 'AWS::Lambda::Function' || !String(r.Properties?.Runtime).startsWith('nodejs')) continue;
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries((r.Properties.Environment?.Variables ?? {}) as Record<string, Json>)) {
      if (typeof v === 'string') vars[k] = v;
      else {
        const value = byReference.get(JSON.stringify(v));
        if (value === undefined)
          throw new Error(
            `${id}.${k}: ${JSON.stringify(v)} is no stack output; deploy with "cdk deploy --outputs-file" from this template`,
          );
        vars[k] = value;
      }
    }
    if (Object.keys(vars).length === 0) continue;
    // Only the function that talks to the APIs (it carries the User-Agent) gets the simulator.
    env[id] = 'USER_AGENT' in vars ? { ...vars, BASE_URL: baseUrl } : vars;
  }
  return env;
}

export async function samEnvCommand(args: string[]): Promise<number> {
  const p = parse(args, {
    template: { type: 'string' },
    outputs: { type: 'string' },
    'base-url': { type: 'string' },
    out: { type: 'string' },
  });
  if (p.values.help) return (void process.stdout.write(SAM_ENV_HELP + '\n'), 0);
  requireNoPositionals(p, 'scraper sam-env --help');
  const read = (flag: string, file: string): Json => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new UsageError(`--${flag}: cannot read ${file} (${(e as Error).message.split('\n')[0]})`);
    }
  };
  const templateFile = str('template', p.values.template, 'cdk.out/ApiScraper.template.json');
  const template = read('template', templateFile);
  if (typeof template !== 'object' || template === null || typeof (template as { Resources?: unknown }).Resources !== 'object')
    throw new UsageError(
      `--template: ${templateFile} is not a synthesized template (no Resources); "npx cdk synth" writes cdk.out/ApiScraper.template.json`,
    );
  const stacks = read('outputs', str('outputs', p.values.outputs, 'cdk-outputs.json')) as Record<string, Record<string, string>>;
  const stackName = templateFile.replace(/^.*\//, '').replace(/\.template\.json$/, '');
  const outputs = stacks[stackName];
  if (!outputs) throw new UsageError(`--outputs: no stack ${stackName} in it (found ${Object.keys(stacks).join(', ') || 'none'})`);
  const baseUrl = url('base-url', p.values['base-url']) ?? 'http://host.docker.internal:8080';
  const out = str('out', p.values.out, 'sam-env.json');
  const env = JSON.stringify(samEnvVars(template, outputs, baseUrl), null, 2) + '\n';
  try {
    writeFileSync(out, env);
  } catch (e) {
    throw new UsageError(`--out: cannot write ${out} (${(e as Error).message})`);
  }
  process.stdout.write(`wrote ${out}: sam local invoke <LogicalId> -t ${templateFile} -e <event> --env-vars ${out}\n`);
  return 0;
}
