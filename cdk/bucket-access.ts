import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** The object actions the app uses; never `s3:*`, never `s3:Put*`. */
export type ObjectAction = 's3:GetObject' | 's3:PutObject' | 's3:DeleteObject';

/**
 * Least-privilege S3 grants, one prefix at a time. Keys are generated per work item
 * (`raw/source=maxsold/dt=…/auction=….json.gz`), so a grant needs a wildcard; each one
 * stops at its prefix, and its cdk-nag IAM5 finding is acknowledged right here, for
 * exactly that resource, with the reason.
 */
export function grantObjects(fn: lambda.Function, bucket: s3.Bucket, prefix: string, actions: ObjectAction[]): void {
  const pattern = `${prefix}*`;
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [bucket.arnForObjects(pattern)] }));
  const bucketId = Stack.of(bucket).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  Validations.of(fn.role!).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${pattern}]`,
    reason: `Keys under ${prefix} are per work item; the wildcard stops at that prefix and allows only ${actions.join(', ')}.`,
  });
}
