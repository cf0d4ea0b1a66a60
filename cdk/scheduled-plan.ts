import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** What a scheduled invocation asks for; handlers read `event.detail.plan`. */
export type Plan = 'maxsold' | 'via' | 'compact';

export interface ScheduledPlanProps {
  /** `rate(…)` or `cron(…)`, already validated by config. */
  readonly schedule: string;
  readonly plan: Plan;
  readonly target: lambda.IFunction;
  readonly description: string;
}

/**
 * An EventBridge schedule that invokes a function with a real-shaped scheduled event
 * (as in events/schedule-*.json) plus `detail.plan`. The rule is named
 * `<stack>-<id>` (`ApiScraper-MaxsoldSchedule`), as in the sample events' `resources`.
 */
export class ScheduledPlan extends Construct {
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ScheduledPlanProps) {
    super(scope, id);
    const ruleName = `${Stack.of(this).stackName}-${id}`;
    this.rule = new events.Rule(this, 'Rule', {
      // EventBridge allows 64 characters; past that CloudFormation generates a name.
      ruleName: ruleName.length <= 64 ? ruleName : undefined,
      description: props.description,
      schedule: events.Schedule.expression(props.schedule),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.target, {
        event: events.RuleTargetInput.fromObject({
          version: '0',
          id: events.EventField.eventId,
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: events.EventField.account,
          time: events.EventField.time,
          region: events.EventField.region,
          // The incoming event's own list: the rule's ARN, as in a plain scheduled event.
          resources: events.EventField.fromPath('$.resources'),
          detail: { plan: props.plan },
        }),
      }),
    );
  }
}
