import { Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { TABLE_NAMES, TABLES, type ColumnType, type TableSchema } from '../core/tables.js';
import { ATHENA_RESULTS_PREFIX, TABLES_PREFIX } from './data-bucket.js';
import { namedQueries } from '../core/named-queries.js';

/**
 * Glue and Athena names are per account and region, so they derive from the stack's
 * name: `ApiScraper` → database `api_scraper`, workgroup `api-scraper`;
 * `ApiScraper-dev` → `api_scraper_dev`, `api-scraper-dev`. Two stages fit one account.
 */
export function queryNames(stackName: string): { database: string; workGroup: string } {
  const words = stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  return { database: words.join('_'), workGroup: words.join('-') };
}

/** The first day a `dt` partition can exist; projection enumerates from here to today. */
export const FIRST_PARTITION_DAY = '2024-01-01';

/** Glue (Hive) type for each core column type, as the Parquet writer stores it. */
export const GLUE_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'string',
  int32: 'int',
  int64: 'bigint',
  float64: 'double',
  bool: 'boolean',
  timestamp: 'timestamp',
  date: 'date',
  string_list: 'array<string>',
};

/** Athena stops a query that would scan more than this (a runaway query on a big table). */
const BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;

/** Glue limits a column comment to 255 characters. */
const comment = (text: string) => (text.length <= 255 ? text : `${text.slice(0, 254)}…`);

export interface QueryLayerProps {
  /** The bucket holding `tables/` and receiving `athena-results/`. */
  readonly bucket: s3.IBucket;
}

/**
 * Athena over the Parquet tables: a Glue database with one table per core schema
 * (partitioned by `dt`, found by partition projection, so no crawler and no
 * MSCK REPAIR), a workgroup that enforces where and how results are written, and
 * named queries for the questions the data answers.
 */
export class QueryLayer extends Construct {
  public readonly databaseName: string;
  public readonly database: glue.CfnDatabase;
  public readonly tables: glue.CfnTable[];
  public readonly workGroup: athena.CfnWorkGroup;

  constructor(scope: Construct, id: string, props: QueryLayerProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const bucketName = props.bucket.bucketName;
    const { database: databaseName, workGroup: workGroupName } = queryNames(Stack.of(this).stackName);
    this.databaseName = databaseName;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: account,
      databaseInput: { name: databaseName, description: 'MaxSold auctions and VIA Rail trains, as Parquet snapshots (see core/tables.ts)' },
    });

    this.tables = TABLE_NAMES.map((name) => {
      const table = new glue.CfnTable(this, `Table-${name}`, {
        catalogId: account,
        databaseName,
        tableInput: tableInput(TABLES[name], `s3://${bucketName}/${TABLES_PREFIX}${name}/`),
      });
      table.addResourceDependency(this.database);
      return table;
    });

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: workGroupName,
      description: `Queries over ${databaseName}; results in s3://<bucket>/${ATHENA_RESULTS_PREFIX}`,
      state: 'ENABLED',
      // The stack owns the workgroup: deleting the stack deletes its saved queries and history too.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });

    for (const query of namedQueries(databaseName)) {
      const named = new athena.CfnNamedQuery(this, `Query-${query.name}`, {
        name: query.name,
        description: query.description,
        database: databaseName,
        workGroup: this.workGroup.ref,
        queryString: query.sql,
      });
      named.addResourceDependency(this.database);
    }
  }
}

function tableInput(schema: TableSchema, location: string): glue.CfnTable.TableInputProperty {
  return {
    name: schema.name,
    description: schema.doc,
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'parquet.compression': 'ZSTD',
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': `${FIRST_PARTITION_DAY},NOW`,
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      // ${dt} is Athena's placeholder, filled per partition; not a CloudFormation Sub.
      'storage.location.template': `${location}dt=\${dt}`,
    },
    partitionKeys: [
      { name: 'dt', type: 'string', comment: 'Partition: the UTC day (yyyy-MM-dd) in the key of the raw object the rows came from' },
    ],
    storageDescriptor: {
      location,
      inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      columns: schema.columns.map((c) => ({ name: c.name, type: GLUE_TYPES[c.type], comment: comment(c.doc) })),
    },
  };
}
