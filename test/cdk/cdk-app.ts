import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, type CfnResource } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { PROJECT_ROOT } from '../../cdk/bundling.js';

/** cdk.json's context: the feature flags `cdk synth` runs with. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;

/** A deploy needs a User-Agent with a contact; tests state theirs. */
export const TEST_USER_AGENT = 'api-scraper-test/0.1 (+tests; ops@example.org)';

/**
 * An App as `cdk synth` builds it (same feature flags, a test User-Agent, an account quota
 * stated) but with asset bundling skipped for every stack, so no esbuild run, and without
 * CloudFormation's template validation, which costs seconds of CPU per process to start:
 * deployable.test.ts runs it (`validate`) on the stacks it checks, as `cdk synth` does.
 */
export function testApp(context: Record<string, unknown> = {}, options: { bundle?: boolean; validate?: boolean } = {}): App {
  return new App({
    builtinCloudFormationValidation: options.validate ?? false,
    context: {
      ...CDK_JSON_CONTEXT,
      'scraper.userAgent': TEST_USER_AGENT,
      'scraper.accountConcurrency': '1000',
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
}

/** Template JSON has no static type; tests read it by path and assert what they find. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CfnValue = any;

export interface CfnJson {
  Type: string;
  Properties: Record<string, CfnValue>;
  DeletionPolicy?: string;
}

/** The template entry of a construct (its default child when it is an L2). */
export function resourceOf(template: Template, construct: IConstruct): CfnJson & { id: string } {
  const cfn = (construct.node.defaultChild ?? construct) as CfnResource;
  const id = Stack.of(construct).getLogicalId(cfn);
  const resource = (template.toJSON().Resources as Record<string, CfnJson>)[id];
  if (!resource) throw new Error(`no resource ${id} in the template`);
  return { id, ...resource };
}

/**
 * A CloudFormation value as readable text: `{ Ref: X }` → `<X>`,
 * `{ Fn::GetAtt: [X, Arn] }` → `<X.Arn>`, `Fn::Join` joined.
 */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, CfnValue>;
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(flat).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, unknown>;
}

/** Every statement of every policy attached to a role, with actions as arrays. */
export function statementsOfRole(template: Template, roleLogicalId: string): (Statement & { Action: string[]; Resource: unknown[] })[] {
  const resources = template.toJSON().Resources as Record<string, CfnJson>;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as unknown[]).some((role) => flat(role) === `<${roleLogicalId}>`))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[])
    .map((s) => ({ ...s, Action: [s.Action].flat(), Resource: [s.Resource].flat() }));
}

/**
 * A role's S3 permissions as `action → resources`, resources relative to the data
 * bucket (`raw/*`, or `bucket` for the bucket itself, with `?prefix` when conditioned).
 */
export function s3Access(template: Template, roleLogicalId: string, bucketLogicalId: string): Record<string, string[]> {
  const access: Record<string, string[]> = {};
  for (const s of statementsOfRole(template, roleLogicalId)) {
    for (const action of s.Action.filter((a) => a.startsWith('s3:'))) {
      for (const resource of s.Resource.map(flat)) {
        const prefix = (s.Condition?.StringLike as Record<string, string[]> | undefined)?.['s3:prefix'];
        const where =
          resource === `<${bucketLogicalId}.Arn>`
            ? `bucket${prefix ? `?prefix=${prefix.join(',')}` : ''}`
            : resource.replace(`<${bucketLogicalId}.Arn>/`, '');
        (access[action] ??= []).push(where);
      }
    }
  }
  for (const list of Object.values(access)) list.sort();
  return access;
}
