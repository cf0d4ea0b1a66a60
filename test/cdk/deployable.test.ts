import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_USER_AGENT } from '../../core/ports.js';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { testApp } from './cdk-app.js';
import { SETTINGS } from './test-stack.js';

describe('a synth that could not be deployed as it is fails', () => {
  it('while the User-Agent is the placeholder, naming the setting and how to set it', () => {
    expect(() => new ScraperStack(testApp({ 'scraper.userAgent': undefined }), 'Placeholder')).toThrow(
      /^scraper\.userAgent: still the placeholder ".*no contact given.*"\..*-c scraper\.userAgent=/,
    );
    expect(() => new ScraperStack(testApp(), 'Given', { settings: { userAgent: DEFAULT_USER_AGENT } })).toThrow(
      /^scraper\.userAgent: still the placeholder/,
    );
    expect(() => new ScraperStack(testApp(), 'Also', { settings: { userAgent: 'bot/1 (you@example.com)' } })).toThrow(
      /^scraper\.userAgent: still the placeholder/,
    );
  });

  it("when the stated account quota cannot hold fetch's reserved concurrency and Lambda's 100 unreserved", () => {
    expect(() => new ScraperStack(testApp(), 'Small', { settings: { accountConcurrency: 10 } })).toThrow(
      /^scraper\.accountConcurrency: 10 is below the 105 that fetch's reserved concurrency of 5 .* Service Quotas/,
    );
    expect(() => new ScraperStack(testApp(), 'Enough', { settings: { accountConcurrency: 105 } })).not.toThrow();
  });
});

describe('the account quota', () => {
  const warnings = (stack: ScraperStack) =>
    Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp("account's Lambda quota must be at least 105"));

  it('is explained at every synth until it is stated', () => {
    const found = warnings(new ScraperStack(testApp({ 'scraper.accountConcurrency': undefined }), 'Unstated'));
    expect(found).toHaveLength(1);
    expect(String(found[0]!.entry.data)).toContain('aws lambda get-account-settings');
  });

  it('once stated and sufficient, is checked instead of explained', () => {
    expect(warnings(new ScraperStack(testApp(), 'Stated', { settings: { accountConcurrency: 1000 } }))).toEqual([]);
  });
});

describe("CloudFormation's template validation (cdk.json: @aws-cdk/core:validateAgainstDefaultRules)", () => {
  it('passes the stack with the default settings and with every optional one set', () => {
    const app = testApp({}, { validate: true });
    new ScraperStack(app, 'Defaults');
    new ScraperStack(app, 'Everything', { settings: { ...SETTINGS, alarmEmail: 'ops@example.org', maxsoldWithBids: true } });
    const assembly = app.synth();
    // The report is written when the validation ran; it lists only plugins that found something.
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
  });

  it('fails a synth whose template breaks a rule, naming it (it is live)', () => {
    const app = testApp({}, { validate: true });
    new sqs.CfnQueue(new Stack(app, 'Broken'), 'Queue', { delaySeconds: 5000 });
    expect(() => app.synth()).toThrow(/DelaySeconds: 5000 is greater than the maximum of 900 \(CloudFormation Validate\)/);
  });
});
