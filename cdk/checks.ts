import { CfnResource, Stack, Validations, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { functionLogGroup } from './scraper-function.js';

/**
 * cdk-nag's AWS Solutions rules run at every synth. cdk-nag 3 is a CDK validation
 * plugin: any finding that is not acknowledged fails the synth, and acknowledgements
 * are `Validations.of(construct).acknowledge({ id, reason })` beside what they excuse.
 */
export function addSecurityChecks(app: Stage): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
}

/** The singleton Lambda that CDK adds to configure S3 event notifications. */
const NOTIFICATIONS_HANDLER_ID = 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834';

/**
 * The handler CDK itself adds for `bucket.addEventNotification`: its log group is given the
 * functions' retention (Lambda's default group would keep its logs forever), and the findings on
 * what the stack cannot configure are acknowledged on that handler only.
 */
export function configureCdkManagedResources(stack: Stack): void {
  const handler = stack.node.tryFindChild(NOTIFICATIONS_HANDLER_ID);
  if (!handler) return;
  const fn = handler.node.tryFindChild('Resource');
  if (fn instanceof CfnResource) {
    const logGroup = functionLogGroup(stack, 'BucketNotificationsHandlerLogs');
    // Its managed policy (AWSLambdaBasicExecutionRole) lets it write to any log group.
    fn.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
  }
  Validations.of(handler).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "CDK's own S3-notifications custom resource handler: CDK attaches this managed policy and offers no way to replace it; it runs only during deployment.",
  });
}
