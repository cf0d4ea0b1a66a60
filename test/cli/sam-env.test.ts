import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { samEnvVars } from '../../cli/commands/sam-env.js';
import { synthTestStack } from '../cdk/test-stack.js';
import { runCli } from '../helpers/cli.js';

const { template } = synthTestStack();
const json = template.toJSON();
// What "cdk deploy --outputs-file" would write: each output's deployed value.
const outputs = Object.fromEntries(Object.keys(json.Outputs).map((name) => [name, `deployed-${name}`]));

describe('scraper sam-env', () => {
  const env = samEnvVars(json, outputs, 'http://host.docker.internal:8080');
  const byHandler = (name: string) => Object.entries(env).find(([id]) => id.startsWith(name))?.[1];

  it('gives every function its variables with references resolved to the deployed values', () => {
    const fetch = byHandler('Fetch');
    expect(fetch).toMatchObject({ BUCKET_NAME: 'deployed-BucketName', QUEUE_URL: 'deployed-WorkQueueUrl', FETCH_CONCURRENCY: '3' });
    expect(byHandler('Dispatch')).toMatchObject({ BUCKET_NAME: 'deployed-BucketName', QUEUE_URL: 'deployed-WorkQueueUrl' });
    expect(byHandler('Normalise')).toMatchObject({ BUCKET_NAME: 'deployed-BucketName' });
    for (const vars of Object.values(env)) for (const v of Object.values(vars)) expect(v).not.toMatch(/^\{|Ref|Fn::/);
  });

  it('points only the fetch function at the simulator', () => {
    expect(byHandler('Fetch')?.BASE_URL).toBe('http://host.docker.internal:8080');
    expect(byHandler('Normalise')?.BASE_URL).toBeUndefined();
  });

  it('says which output is missing when the outputs file is not from this template', () => {
    const { BucketName: _dropped, ...partial } = outputs;
    expect(() => samEnvVars(json, partial, 'http://x')).toThrow(/BUCKET_NAME: .* is no stack output/);
  });

  it('writes the file from the command line and rejects a stack the outputs do not hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sam-env-'));
    writeFileSync(join(dir, 'Test.template.json'), JSON.stringify(json));
    writeFileSync(join(dir, 'outputs.json'), JSON.stringify({ Test: outputs }));
    const out = join(dir, 'env.json');
    const ok = await runCli([
      'sam-env',
      '--template',
      join(dir, 'Test.template.json'),
      '--outputs',
      join(dir, 'outputs.json'),
      '--out',
      out,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(out, 'utf8'))).length).toBeGreaterThanOrEqual(4);
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ Other: outputs }));
    const bad = await runCli([
      'sam-env',
      '--template',
      join(dir, 'Test.template.json'),
      '--outputs',
      join(dir, 'other.json'),
      '--out',
      out,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--outputs: no stack Test in it \(found Other\)/);
    // Each flag's own mistake, one line naming it (exit 2).
    const template = ['--template', join(dir, 'Test.template.json'), '--outputs', join(dir, 'outputs.json')];
    for (const [args, message] of [
      [[...template, '--base-url', 'ftp://x', '--out', out], /^scraper: --base-url: expected an http\(s\) origin/],
      [[...template, '--base-url', 'http://h:8080/path', '--out', out], /^scraper: --base-url: give the origin only/],
      [[...template, '--out', join(dir, 'no-such-dir', 'env.json')], /^scraper: --out: cannot write .*no-such-dir/],
      [
        ['--template', join(dir, 'outputs.json'), '--outputs', join(dir, 'outputs.json')],
        /^scraper: --template: .* is not a synthesized template/,
      ],
    ] as const) {
      const r = await runCli(['sam-env', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
