import { Stack, Validations, type App } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { addSecurityChecks } from '../../cdk/checks.js';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { testApp } from './cdk-app.js';

// cdk-nag 3 is a validation plugin (no Aspects, no NagSuppressions): an unacknowledged
// finding fails app.synth(), and validateScope() lists what is left.
let app: App;
let checks: AwsSolutionsChecks;

beforeAll(() => {
  app = testApp();
  new ScraperStack(app, 'Checked');
  checks = addSecurityChecks(app);
});

function acknowledgements(root: IConstruct): { id: string; reason: string; path: string }[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason,
          path: c.node.path,
        })),
      ),
  );
}

describe('AWS Solutions checks (cdk-nag)', () => {
  it('leave no unacknowledged finding, error or warning', () => {
    expect(() => app.synth()).not.toThrow();
    const left = checks
      .validateScope(app)
      .violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(left).toEqual([]);
  });

  it('acknowledge only these rules, each with a reason', () => {
    const acks = acknowledgements(app);
    expect([...new Set(acks.map((a) => a.id.replace(/\[.*$/, '')))].sort()).toEqual([
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SNS2',
      'AwsSolutions-SQS3',
    ]);
    for (const a of acks) expect(a.reason.length, `${a.path} ${a.id}`).toBeGreaterThan(40);
  });

  it('acknowledge wildcards only for object keys under a prefix', () => {
    const wildcards = acknowledgements(app).filter((a) => a.id.startsWith('AwsSolutions-IAM5'));
    expect(wildcards.length).toBeGreaterThan(0);
    for (const a of wildcards) expect(a.id).toMatch(/^AwsSolutions-IAM5\[Resource::<DataBucketData\w+\.Arn>\/[a-z-]+\/([a-z-]+\/)?\*\]$/);
  });

  it('do report what is not acknowledged (they are live)', () => {
    const other = testApp();
    new sqs.Queue(new Stack(other, 'Plain'), 'Queue');
    const rules = new AwsSolutionsChecks().validateScope(other).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
