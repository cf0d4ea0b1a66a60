import { describe, expect, it } from 'vitest';
import { allows, s3GrantsOf, type S3Grant } from '../../emulator/s3-access.js';

// How the emulated S3 reads a role's grants and matches a request against them (the stack's own
// roles: test/cdk/stack-access.test.ts, on its synthesized template).
describe('S3 grants as the emulated S3 checks them', () => {
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
    const grants = s3GrantsOf(resources, 'Fn');
    expect(grants.map((g) => g.action)).toEqual(['s3:GetObject', 's3:PutObject', 's3:ListBucket']);
    expect(allows(grants, { action: 's3:PutObject', bucket: 'Bucket', key: 'raw/a/b.json.gz' })).toBe(true);
    expect(allows(grants, { action: 's3:PutObject', bucket: 'Bucket', key: 'tables/a' })).toBe(false);
    expect(allows(grants, { action: 's3:DeleteObject', bucket: 'Bucket', key: 'raw/a' })).toBe(false);
    expect(allows(grants, { action: 's3:GetObject', bucket: 'Other', key: 'raw/a' })).toBe(false);
  });

  it("a listing limited by an s3:prefix condition is allowed only with a matching prefix (the condition's StringLike)", () => {
    const grants: S3Grant[] = [{ action: 's3:ListBucket', bucket: 'B', prefixes: [/^tables\/.*$/s] }];
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B', prefix: 'tables/maxsold_items/' })).toBe(true);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B', prefix: 'raw/' })).toBe(false);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'B' })).toBe(false);
    expect(allows(grants, { action: 's3:ListBucket', bucket: 'Other', prefix: 'tables/' })).toBe(false);
  });
});
