import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { lambdaBundling, PROJECT_ROOT } from './bundling.js';

/** The handlers under functions/, each exporting `handler`. */
export type HandlerName = 'dispatch' | 'fetch' | 'normalise' | 'compact';

/** A handler's entry file, by path: the stack never imports functions/. */
export function handlerEntry(name: HandlerName): string {
  return join(PROJECT_ROOT, 'functions', `${name}.ts`);
}

/** Names every function's metrics and logs. */
export const POWERTOOLS_SERVICE_NAME = 'api-scraper';
export const POWERTOOLS_METRICS_NAMESPACE = 'ApiScraper';

export interface ScraperFunctionProps extends Pick<NodejsFunctionProps, 'reservedConcurrentExecutions' | 'retryAttempts' | 'onFailure'> {
  /** Which file under functions/ to bundle. */
  readonly handlerName: HandlerName;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** No default: each function states its own. */
  readonly timeout: Duration;
  /** Megabytes; no default: each function states its own. */
  readonly memorySize: number;
  /** Added to the variables every function gets (Powertools names, NODE_OPTIONS). @default - none */
  readonly environment?: Record<string, string>;
  /** The handler writes Parquet: parquet-wasm's .wasm ships with its bundle. @default false */
  readonly writesParquet?: boolean;
}

/** Lambda logs are for debugging recent runs; the data itself lives in S3. */
const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/** A function's log group, kept LOG_RETENTION and removed with the stack. */
export function functionLogGroup(scope: Construct, id: string): logs.LogGroup {
  return new logs.LogGroup(scope, id, { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
}

/**
 * A handler from functions/ as a Lambda, with what every function in this app shares:
 * Node.js 22 on arm64, one minified ESM bundle with source maps (local esbuild), its
 * own log group with a retention, and its own role that can write only to that log
 * group — no AWSLambdaBasicExecutionRole; each grant is added by the stack.
 */
export class ScraperFunction extends NodejsFunction {
  public readonly handlerName: HandlerName;
  public readonly writesParquet: boolean;

  constructor(scope: Construct, id: string, props: ScraperFunctionProps) {
    // Created beside the function (not inside it) because super() must come first.
    const logGroup = functionLogGroup(scope, `${id}Logs`);
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.handlerName} function`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: handlerEntry(props.handlerName),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      bundling: lambdaBundling({ parquetWasm: props.writesParquet ?? false }),
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role,
      logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      retryAttempts: props.retryAttempts,
      onFailure: props.onFailure,
      environment: {
        POWERTOOLS_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
    });
    this.handlerName = props.handlerName;
    this.writesParquet = props.writesParquet ?? false;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 on purpose: the bundles target node22 (cdk/bundling.ts) and are tested on it. Moving to a newer runtime changes the runtime and ESBUILD_TARGET together, deliberately.',
    });
  }
}
