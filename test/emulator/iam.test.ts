import { describe, expect, it } from 'vitest';
import { allows, grantsOf, sqsNeeds, type Grant } from '../../emulator/iam.js';

// How the emulated S3 and SQS read a role's grants and match a request against them (the stack's own
// roles: test/cdk/stack-access.test.ts, on its synthesized template).
describe('grants as the emulated S3 and SQS check them', () => {
  it('reads Allow statements on a bucket ARN and on key patterns under it, with an s3:prefix condition', () => {
    const bucketArn = { 'Fn::GetAtt': ['Bucket', 'Arn'] };
    const resources = {
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] } } },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'Role' }],
          PolicyDocument: {
            Statement: [
              { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: { 'Fn::Join': ['', [bucketArn, '/raw/*']] } },
              { Effect: 'Allow', Action: 's3:ListBucket', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': ['tables/*'] } } },
              { Effect: 'Deny', Action: 's3:DeleteObject', Resource: { 'Fn::Join': ['', [bucketArn, '/raw/*']] } },
              { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' },
              { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'], Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
            ],
          },
        },
      },
      Other: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'OtherRole' }],
          PolicyDocument: {
            Statement: [{ Effect: 'Allow', Action: 's3:DeleteObject', Resource: { 'Fn::Join': ['', [bucketArn, '/*']] } }],
          },
        },
      },
    };
    const grants = grantsOf(resources, 'Fn');
    expect(grants.map((g) => g.action)).toEqual([
      's3:GetObject',
      's3:PutObject',
      's3:ListBucket',
      'sqs:SendMessage',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
    ]);
    expect(allows(grants, { action: 's3:PutObject', bucket: 'Bucket', key: 'raw/a/b.json.gz' })).toBe(true);
    expect(allows(grants, { action: 's3:PutObject', bucket: 'Bucket', key: 'tables/a' })).toBe(false);
    expect(allows(grants, { action: 's3:DeleteObject', bucket: 'Bucket', key: 'raw/a' })).toBe(false);
    expect(allows(grants, { action: 's3:GetObject', bucket: 'Other', key: 'raw/a' })).toBe(false);
    expect(allows(grants, { action: 'sqs:ReceiveMessage', queue: 'Queue' })).toBe(true);
    expect(allows(grants, { action: 'sqs:ReceiveMessage', queue: 'OtherQueue' })).toBe(false);
    // Resource '*' (which the stack never grants its functions; its test forbids it) names every queue.
    expect(allows(grants, { action: 'sqs:SendMessage', queue: 'AnyQueue' })).toBe(true);
    // An object key is not a queue: a bucket grant never allows an SQS action, nor the reverse.
    expect(allows(grants, { action: 's3:GetObject', bucket: 'Queue', key: 'raw/a' })).toBe(false);
  });

  it("reads IAM's wildcards in actions, in any case, within their service", () => {
    const grants: Grant[] = [
      { action: 's3:GetObject*', resource: 'B', keys: /^raw\/.*$/s },
      { action: 'S3:list*', resource: 'B' },
      { action: 'sqs:*', resource: 'Q' },
    ];
    expect(allows(grants, { action: 's3:GetObject', bucket: 'B', key: 'raw/a' })).toBe(true);
    expect(allows(grants, { action: 's3:PutObject', bucket: 'B', key: 'raw/a' })).toBe(false);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B' })).toBe(true);
    expect(allows(grants, { action: 'sqs:DeleteMessage', queue: 'Q' })).toBe(true);
    expect(allows(grants, { action: 'sqs:DeleteMessage', queue: 'Other' })).toBe(false);
    // Resource '*' covers a bucket and its keys.
    const everywhere: Grant[] = [{ action: 's3:GetObject', resource: '*' }];
    expect(allows(everywhere, { action: 's3:GetObject', bucket: 'Any', key: 'tables/x' })).toBe(true);
    expect(allows(everywhere, { action: 's3:ListBucket', bucket: 'Any' })).toBe(false);
  });

  it('a batch operation needs the action of its single form, as IAM authorizes it', () => {
    expect(sqsNeeds('DeleteMessageBatch', 'Q')).toEqual([{ action: 'sqs:DeleteMessage', queue: 'Q' }]);
    expect(sqsNeeds('SendMessageBatch', 'Q')).toEqual([{ action: 'sqs:SendMessage', queue: 'Q' }]);
    expect(sqsNeeds('ChangeMessageVisibility', 'Q')).toEqual([{ action: 'sqs:ChangeMessageVisibility', queue: 'Q' }]);
  });

  it("a listing limited by an s3:prefix condition is allowed only with a matching prefix (the condition's StringLike)", () => {
    const grants: Grant[] = [{ action: 's3:ListBucket', resource: 'B', prefixes: [/^tables\/.*$/s] }];
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B', prefix: 'tables/maxsold_items/' })).toBe(true);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B', prefix: 'raw/' })).toBe(false);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B' })).toBe(false);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'Other', prefix: 'tables/' })).toBe(false);
  });
});
