import { Template } from 'aws-cdk-lib/assertions';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { flat, resourceOf, testApp, type CfnJson } from './cdk-app.js';

// Non-default numbers, so each assertion proves the setting reached the template.
export const SETTINGS = {
  fetchMaxConcurrency: 7,
  bidHistoryConcurrency: 3,
  fetchConcurrencyPerInvocation: 3,
  fetchBatchSize: 5,
  fetchTimeoutSeconds: 45,
  fetchRate: 2.5,
  maxReceiveCount: 6,
  rawRetentionDays: 30,
  maxsoldIds: '100000-100500',
  maxsoldStartId: 105000,
  maxsoldWindow: 50,
  baseUrl: 'http://127.0.0.1:8080',
  userAgent: 'api-scraper-test (ops@example.org)',
  maxsoldSchedule: 'rate(2 hours)',
  viaSchedule: 'rate(5 minutes)',
  compactionSchedule: 'cron(15 3 * * ? *)',
};

export type FunctionName = 'dispatchFunction' | 'fetchFunction' | 'normaliseFunction' | 'compactFunction';

/**
 * The stack under test, synthesized once per test file (bundling skipped: a few
 * seconds), with the lookups every assertion about it uses.
 */
export function synthTestStack(settings: Record<string, unknown> = SETTINGS) {
  const stack = new ScraperStack(testApp(), 'Test', { settings });
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, CfnJson>;
  const fn = (name: FunctionName) => resourceOf(template, stack[name]);
  return {
    stack,
    template,
    resources,
    fn,
    ofType: (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type),
    bucketId: () => resourceOf(template, stack.data.bucket).id,
    roleId: (name: FunctionName) => flat(fn(name).Properties.Role).replace(/^<|\.Arn>$/g, ''),
  };
}
