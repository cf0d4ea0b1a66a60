/**
 * What each function's role lets it do in S3 and SQS, read from the template's IAM policies,
 * and the check the emulated S3 and SQS make on every request a function (or Lambda, with the
 * function's role: its event source's receives and deletes, its destination's sends) sends:
 * an action the role does not allow is answered 403 AccessDenied, as in AWS. Modelled: Allow
 * statements (actions with IAM's wildcards) on a bucket (`s3:ListBucket`, optionally limited by
 * an `s3:prefix` StringLike condition), on key patterns under it (`<bucket ARN>/raw/*`), on a
 * queue (its ARN), or on `*`; not Deny statements, other conditions, or resource policies.
 */
import { refOf } from './template.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A grant's resource when the statement names `*`. */
const ANY = '*';

export interface Grant {
  action: string;
  /** The bucket's or queue's logical id. */
  resource: string;
  /** A key pattern (`raw/*`); absent for a grant on the bucket itself. */
  keys?: RegExp;
  /** `s3:prefix` patterns a listing must match (a StringLike condition); absent: any listing. */
  prefixes?: RegExp[];
}

/** One S3 action a request needs: on a key, or on the bucket (a listing, with its prefix). */
export interface S3Need {
  action: 's3:GetObject' | 's3:PutObject' | 's3:DeleteObject' | 's3:ListBucket';
  bucket: string;
  key?: string;
  /** A listing's `prefix` parameter; absent when the request names none. */
  prefix?: string;
}

/** One SQS action a request needs, on a queue. */
export interface SqsNeed {
  action: `sqs:${string}`;
  queue: string;
}

export type Need = S3Need | SqsNeed;

/** IAM's `*` and `?` wildcards as a whole-string pattern. */
function wildcard(pattern: string, flags = 's'): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
    flags,
  );
}

const actionPatterns = new Map<string, RegExp>();
/** Whether a granted action (`s3:GetObject*`, `sqs:*`: IAM's wildcards, any case) covers one a request needs. */
function covers(granted: string, needed: string): boolean {
  let pattern = actionPatterns.get(granted);
  if (!pattern) actionPatterns.set(granted, (pattern = wildcard(granted, 'si')));
  return pattern.test(needed);
}

/**
 * The bucket or queue a resource names (its ARN), and the key pattern after a bucket's ARN (if
 * any); `*` names every bucket, key and queue.
 */
function resourceOf(resource: Json): { id: string; keys?: string } | undefined {
  if (resource === '*') return { id: ANY };
  if (Array.isArray(resource?.['Fn::GetAtt']) && resource['Fn::GetAtt'][1] === 'Arn') return { id: refOf(resource) };
  const parts = resource?.['Fn::Join']?.[1];
  if (resource?.['Fn::Join']?.[0] === '' && Array.isArray(parts) && parts.length === 2 && typeof parts[1] === 'string') {
    const [arn, rest] = parts as [Json, string];
    if (Array.isArray(arn?.['Fn::GetAtt']) && arn['Fn::GetAtt'][1] === 'Arn' && rest.startsWith('/'))
      return { id: refOf(arn), keys: rest.slice(1) };
  }
  return undefined;
}

/** The S3 and SQS grants of the role a function runs as. */
export function grantsOf(resources: Record<string, { Type: string; Properties?: Json }>, functionId: string): Grant[] {
  const role = refOf(resources[functionId]?.Properties?.Role);
  const grants: Grant[] = [];
  for (const r of Object.values(resources)) {
    const policy = r.Properties;
    if (r.Type !== 'AWS::IAM::Policy' || !(policy?.Roles as Json[] | undefined)?.some((x) => x?.Ref === role)) continue;
    for (const s of policy.PolicyDocument.Statement as Json[]) {
      if (s.Effect !== 'Allow') continue;
      const prefixes = s.Condition?.StringLike?.['s3:prefix'];
      for (const action of [s.Action].flat() as string[]) {
        if (!action.startsWith('s3:') && !action.startsWith('sqs:')) continue;
        for (const resource of [s.Resource].flat()) {
          const target = resourceOf(resource);
          if (!target) continue;
          grants.push({
            action,
            resource: target.id,
            keys: target.keys === undefined ? undefined : wildcard(target.keys),
            prefixes: prefixes === undefined ? undefined : [prefixes].flat().map((p: string) => wildcard(p)),
          });
        }
      }
    }
  }
  return grants;
}

/** Whether the grants allow what a request needs. */
export function allows(grants: readonly Grant[], need: Need): boolean {
  if ('queue' in need) return grants.some((g) => covers(g.action, need.action) && (g.resource === ANY || g.resource === need.queue));
  return grants.some((g) => {
    if (!covers(g.action, need.action) || (g.resource !== ANY && g.resource !== need.bucket)) return false;
    // `*` covers the bucket and every key in it; a bucket's ARN the bucket, `<ARN>/raw/*` those keys.
    if (need.key !== undefined) return g.resource === ANY || g.keys?.test(need.key) === true;
    if (g.keys !== undefined) return false;
    return g.prefixes === undefined || (need.prefix !== undefined && g.prefixes.some((p) => p.test(need.prefix!)));
  });
}

/** What a refused need was, for the run's report. */
export function describeNeed(need: Need): string {
  if ('queue' in need) return `${need.action} on ${queueName(need.queue)}`;
  return `${need.action} on ${need.bucket}/${need.key ?? `(list ${need.prefix ?? 'all'})`}`;
}

/**
 * The S3 actions an operation needs (named as the emulated S3 classifies requests), as IAM
 * evaluates it. Bucket operations the app never sends need nothing here.
 */
export function s3Needs(
  operation: string,
  bucket: string,
  key: string | undefined,
  request: { prefix?: string; keysToDelete: readonly string[] },
): S3Need[] {
  switch (operation) {
    case 'GetObject':
    case 'HeadObject':
      return [{ action: 's3:GetObject', bucket, key }];
    case 'PutObject':
    case 'POSTObject':
      return [{ action: 's3:PutObject', bucket, key }];
    case 'DeleteObject':
      return [{ action: 's3:DeleteObject', bucket, key }];
    case 'DeleteObjects':
      return request.keysToDelete.map((k) => ({ action: 's3:DeleteObject', bucket, key: k }));
    case 'ListObjectsV2':
      return [{ action: 's3:ListBucket', bucket, prefix: request.prefix }];
    default:
      return [];
  }
}

/** The queue a URL names: its last path segment, as in SQS (https://sqs.<region>.amazonaws.com/<account>/<name>). */
export function queueName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** Whether an AWS SDK error is a role's refusal (403 AccessDenied), not another failure. */
export function refusedByRole(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return err?.$metadata?.httpStatusCode === 403 && /^AccessDenied/.test(err.name ?? '');
}

/**
 * What Lambda checks of a function's role when an SQS event source mapping is created: without
 * these on its queue, the deploy fails (CREATE_FAILED, "the provided execution role does not
 * have permissions to call …").
 */
export const EVENT_SOURCE_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'] as const;

/** The SQS action an operation needs on its queue (a batch needs its single form's). */
export function sqsNeeds(operation: string, queue: string): SqsNeed[] {
  return [{ action: `sqs:${operation.replace(/Batch$/, '')}`, queue }];
}
