import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { queryNames } from '../../cdk/query-layer.js';
import { ScraperStack } from '../../cdk/scraper-stack.js';
import { stackName } from '../../cdk/stage.js';
import { testApp } from './cdk-app.js';

/**
 * Every name a template fixes for its resources (the rest CloudFormation generates per
 * stack). Named queries are left out: their names are per workgroup.
 */
function fixedNames(template: Template): string[] {
  const names: string[] = [];
  for (const r of Object.values(template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)) {
    if (r.Type === 'AWS::Athena::NamedQuery') continue;
    const p = r.Properties ?? {};
    for (const v of [
      p.Name,
      p.DashboardName,
      p.AlarmName,
      p.TopicName,
      p.QueueName,
      p.FunctionName,
      p.BucketName,
      p.RoleName,
      p.LogGroupName,
      p.WorkGroup,
      (p.DatabaseInput as { Name?: string } | undefined)?.Name,
    ]) {
      if (typeof v === 'string') names.push(`${r.Type} ${v}`);
    }
  }
  return names;
}

describe('stages', () => {
  it('name the stack: ApiScraper, or ApiScraper-<stage> with -c stage=<stage>', () => {
    expect(stackName(undefined)).toBe('ApiScraper');
    expect(stackName('dev')).toBe('ApiScraper-dev');
    expect(() => stackName('Dev Stage')).toThrow(/^stage: expected lower-case letters, digits and hyphens .*, got "Dev Stage"$/);
  });

  it('derive the Glue database and Athena workgroup from the stack name', () => {
    expect(queryNames('ApiScraper')).toEqual({ database: 'api_scraper', workGroup: 'api-scraper' });
    expect(queryNames('ApiScraper-dev')).toEqual({ database: 'api_scraper_dev', workGroup: 'api-scraper-dev' });
  });

  it('fit two in one account: no fixed name is shared', () => {
    const app = testApp();
    const stacks = [new ScraperStack(app, stackName(undefined)), new ScraperStack(app, stackName('dev'))];
    const [prod, dev] = stacks.map((s) => fixedNames(Template.fromStack(s)));
    expect(prod!.length).toBeGreaterThanOrEqual(6);
    expect(prod!.filter((n) => dev!.includes(n))).toEqual([]);
  });
});
