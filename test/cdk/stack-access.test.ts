import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAMES, TABLES, type ColumnType } from '../../core/tables.js';
import { flat, resourceOf, s3Access, statementsOfRole, type CfnValue } from './cdk-app.js';
import { allows, grantsOf, type S3Need } from '../../emulator/iam.js';
import { synthTestStack, type FunctionName } from './test-stack.js';

// What the stack lets each function touch, and how Athena sees the tables.
let t: ReturnType<typeof synthTestStack>;
let template: ReturnType<typeof synthTestStack>['template'];
let stack: ReturnType<typeof synthTestStack>['stack'];
beforeAll(() => {
  t = synthTestStack();
  ({ template, stack } = t);
});
const bucketId = () => t.bucketId();
const roleId: ReturnType<typeof synthTestStack>['roleId'] = (name) => t.roleId(name);
const ofType = (type: string) => t.ofType(type);

describe('least privilege', () => {
  it('fetch may only write under raw/ and quarantine/ (a body past the size limit; and read raw/ metadata for conditional re-polls)', () => {
    expect(s3Access(template, roleId('fetchFunction'), bucketId())).toEqual({
      's3:GetObject': ['raw/*'],
      's3:ListBucket': ['bucket'],
      's3:PutObject': ['quarantine/*', 'raw/*'],
    });
  });

  it("fetch may change a work item's visibility (Retry-After)", () => {
    const queueArn = `<${resourceOf(template, stack.work.queue).id}.Arn>`;
    expect(
      statementsOfRole(template, roleId('fetchFunction')).some(
        (s) => s.Action.includes('sqs:ChangeMessageVisibility') && s.Resource.map(flat).includes(queueArn),
      ),
    ).toBe(true);
  });

  it('normalise reads raw/, writes tables/ (deletes a file a re-poll has no rows for), quarantine/ and state/seen/ markers, and cannot write raw/', () => {
    expect(s3Access(template, roleId('normaliseFunction'), bucketId())).toEqual({
      's3:DeleteObject': ['tables/*'],
      's3:GetObject': ['raw/*'],
      's3:PutObject': ['quarantine/*', 'state/seen/*', 'tables/*'],
    });
  });

  it('dispatch keeps its state under state/ and may list the bucket (so a missing cursor is a 404)', () => {
    expect(s3Access(template, roleId('dispatchFunction'), bucketId())).toEqual({
      's3:DeleteObject': ['state/*'],
      's3:GetObject': ['state/*'],
      's3:ListBucket': ['bucket'],
      's3:PutObject': ['state/*'],
    });
  });

  it('compact rewrites only tables/, and may list the bucket (so a file gone since its listing is a 404)', () => {
    expect(s3Access(template, roleId('compactFunction'), bucketId())).toEqual({
      's3:DeleteObject': ['tables/*'],
      's3:GetObject': ['tables/*'],
      's3:ListBucket': ['bucket'],
      's3:PutObject': ['tables/*'],
    });
  });

  it('no policy allows s3:* or any wildcard action, and our functions never get Resource *', () => {
    for (const [, policy] of ofType('AWS::IAM::Policy')) {
      for (const s of policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]) {
        expect([s.Action].flat().filter((a) => a.includes('*'))).toEqual([]);
      }
    }
    for (const name of ['dispatchFunction', 'fetchFunction', 'normaliseFunction', 'compactFunction'] as const) {
      expect(statementsOfRole(template, roleId(name)).flatMap((s) => s.Resource.map(flat))).not.toContain('*');
    }
  });
});

describe('the same grants, as the emulated S3 and SQS enforce them (scraper cloud)', () => {
  const may = (name: FunctionName, need: Omit<S3Need, 'bucket'>) =>
    allows(grantsOf(t.resources, t.fn(name).id), { ...need, bucket: bucketId() });
  type Queue = 'work' | 'bids' | 'deadLetters' | 'normaliseFailures' | 'scheduleFailures';
  const queueId = (q: Queue) =>
    resourceOf(
      template,
      {
        work: stack.work.queue,
        bids: stack.work.bidHistories,
        deadLetters: stack.work.deadLetters.queue,
        normaliseFailures: stack.normaliseFailures.queue,
        scheduleFailures: stack.scheduleFailures.queue,
      }[q],
    ).id;
  const mayOn = (name: FunctionName, action: `sqs:${string}`, queue: Queue) =>
    allows(grantsOf(t.resources, t.fn(name).id), { action, queue: queueId(queue) });

  it('fetch: raw/ objects and quarantine/ puts, and listing the bucket; not tables/', () => {
    expect(may('fetchFunction', { action: 's3:PutObject', key: 'raw/source=maxsold/dt=2026-11-26/auction=1.json.gz' })).toBe(true);
    expect(may('fetchFunction', { action: 's3:PutObject', key: 'quarantine/source=maxsold/dt=2026-11-26/auction=1.json.gz' })).toBe(true);
    expect(may('fetchFunction', { action: 's3:GetObject', key: 'raw/x' })).toBe(true);
    expect(may('fetchFunction', { action: 's3:GetObject', key: 'quarantine/x' })).toBe(false);
    expect(may('fetchFunction', { action: 's3:PutObject', key: 'tables/x' })).toBe(false);
    expect(may('fetchFunction', { action: 's3:DeleteObject', key: 'raw/x' })).toBe(false);
    expect(may('fetchFunction', { action: 's3:ListBucket' })).toBe(true);
  });

  it('normalise: may not list, so a GET of a missing key is a 403 to it', () => {
    expect(may('normaliseFunction', { action: 's3:ListBucket' })).toBe(false);
    expect(may('normaliseFunction', { action: 's3:ListBucket', prefix: 'raw/' })).toBe(false);
    expect(may('normaliseFunction', { action: 's3:DeleteObject', key: 'tables/maxsold_items/dt=2026-11-26/maxsold-1.parquet' })).toBe(true);
    expect(may('normaliseFunction', { action: 's3:PutObject', key: 'raw/x' })).toBe(false);
    // A key pattern holds for the whole key, not a prefix of the pattern.
    expect(may('normaliseFunction', { action: 's3:PutObject', key: 'state/maxsold-cursor.json' })).toBe(false);
    expect(may('normaliseFunction', { action: 's3:PutObject', key: 'state/seen/auction=1/closes=none' })).toBe(true);
  });

  it('dispatch sends to the work queue, normalise the bid histories it plans to theirs; neither receives', () => {
    expect(mayOn('dispatchFunction', 'sqs:SendMessage', 'work')).toBe(true);
    expect(mayOn('dispatchFunction', 'sqs:SendMessage', 'bids')).toBe(false);
    expect(mayOn('normaliseFunction', 'sqs:SendMessage', 'bids')).toBe(true);
    expect(mayOn('normaliseFunction', 'sqs:SendMessage', 'work')).toBe(false);
    for (const name of ['dispatchFunction', 'normaliseFunction'] as const)
      for (const q of ['work', 'bids'] as const) expect(mayOn(name, 'sqs:ReceiveMessage', q), `${name} ${q}`).toBe(false);
  });

  it("fetch's event sources poll and delete with its role, on both work queues; it may not send to the dead letters", () => {
    for (const q of ['work', 'bids'] as const)
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'] as const)
        expect(mayOn('fetchFunction', action, q), `${action} ${q}`).toBe(true);
    expect(mayOn('fetchFunction', 'sqs:SendMessage', 'deadLetters')).toBe(false);
  });

  it("an async failure goes to its destination with the failing function's role: normalise and dispatch each to their own", () => {
    expect(mayOn('normaliseFunction', 'sqs:SendMessage', 'normaliseFailures')).toBe(true);
    expect(mayOn('dispatchFunction', 'sqs:SendMessage', 'scheduleFailures')).toBe(true);
    expect(mayOn('normaliseFunction', 'sqs:SendMessage', 'scheduleFailures')).toBe(false);
  });

  it('dispatch and compact may list the whole bucket', () => {
    expect(may('dispatchFunction', { action: 's3:ListBucket', prefix: 'state/seen/' })).toBe(true);
    expect(may('compactFunction', { action: 's3:ListBucket' })).toBe(true);
    expect(may('compactFunction', { action: 's3:PutObject', key: 'raw/x' })).toBe(false);
  });
});

describe('query layer', () => {
  // How Athena must see each core type, as the Parquet writer stores it (stated here, not imported).
  const athenaType: Record<ColumnType, string> = {
    string: 'string',
    int32: 'int',
    int64: 'bigint',
    float64: 'double',
    bool: 'boolean',
    timestamp: 'timestamp',
    date: 'date',
    string_list: 'array<string>',
  };
  const tables = () =>
    Object.values(template.findResources('AWS::Glue::Table')).map(
      (r) => r.Properties as { DatabaseName: string; TableInput: Record<string, CfnValue> },
    );

  it('has one Glue table per core table, in the database named for the stack', () => {
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'test' } });
    expect(
      tables()
        .map((t) => t.TableInput.Name)
        .sort(),
    ).toEqual([...TABLE_NAMES].sort());
    for (const t of tables()) expect(t.DatabaseName).toBe('test');
  });

  it.each(TABLE_NAMES)("%s has exactly core's columns and types, Parquet, partitioned by dt", (name) => {
    const input = tables().find((t) => t.TableInput.Name === name)!.TableInput;
    const sd = input.StorageDescriptor;
    expect(sd.Columns.map((c: { Name: string; Type: string }) => [c.Name, c.Type])).toEqual(
      TABLES[name].columns.map((c) => [c.name, athenaType[c.type]]),
    );
    expect(input.PartitionKeys).toEqual([expect.objectContaining({ Name: 'dt', Type: 'string' })]);
    expect(sd).toMatchObject({
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    });
    expect(flat(sd.Location)).toBe(`s3://<${bucketId()}>/tables/${name}/`);
  });

  it.each(TABLE_NAMES)('%s finds its partitions by projection (no crawler, no MSCK REPAIR)', (name) => {
    const params = tables().find((t) => t.TableInput.Name === name)!.TableInput.Parameters;
    expect(params).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2024-01-01,NOW',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
    expect(flat(params['storage.location.template'])).toBe(`s3://<${bucketId()}>/tables/${name}/dt=\${dt}`);
    expect(ofType('AWS::Glue::Crawler')).toEqual([]);
  });

  it('has a workgroup that enforces encrypted results under athena-results/ on engine v3', () => {
    const [first, ...more] = ofType('AWS::Athena::WorkGroup');
    const [, wg] = first!;
    expect(more).toEqual([]);
    expect(wg.Properties.Name).toBe('test');
    const config = wg.Properties.WorkGroupConfiguration;
    expect(config).toMatchObject({
      EnforceWorkGroupConfiguration: true,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
      ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
    });
    expect(flat(config.ResultConfiguration.OutputLocation)).toBe(`s3://<${bucketId()}>/athena-results/`);
  });

  it('has named queries for the questions the data answers, in that workgroup', () => {
    const queries = ofType('AWS::Athena::NamedQuery').map(([, q]) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual([
      'maxsold-auction-totals',
      'maxsold-closing-next-24h',
      'maxsold-item-final-prices',
      'table-freshness',
      'via-late-trains-by-station-day',
    ]);
    for (const q of queries) {
      expect(q).toMatchObject({ Database: 'test', WorkGroup: { Ref: resourceOf(template, stack.queries.workGroup).id } });
      expect(q.QueryString).toMatch(/\btest\.\w+/);
    }
    const late = queries.find((q) => q.Name === 'via-late-trains-by-station-day')!.QueryString as string;
    expect(late).toMatch(/test\.via_train_stops/);
    expect(late).toMatch(/diff_min > 15/);
    const freshness = queries.find((q) => q.Name === 'table-freshness')!.QueryString as string;
    for (const name of TABLE_NAMES) expect(freshness).toContain(`FROM test.${name}`);
  });
});
