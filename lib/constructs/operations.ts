/**
 * What the operators see: one SNS topic every alarm notifies, the alarms (a message in any dead-letter queue,
 * a function's errors or throttles, API 5xx, a failed workflow execution, a consumed queue falling behind)
 * and one dashboard. The stack registers resources here as it builds them.
 */
import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  type CfnAlarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface OperationsProps {
  readonly service: string;
  readonly alarmTopic: ITopic;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

export class Operations extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.action = new SnsAction(props.alarmTopic);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${props.service}\nAlarms notify the alarm topic; a message in any dead-letter queue needs a person.`,
        width: 24,
        height: 2,
      }),
    );
  }

  private alarm(id: string, description: string, metric: IMetric, threshold: number): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** Any message in a dead-letter queue (or an on-failure destination) is work that was not done. */
  watchDeadLetterQueue(name: string, queue: IQueue): void {
    const visible = queue.metricApproximateNumberOfMessagesVisible({
      period: ONE_MINUTE,
      statistic: 'Maximum',
    });
    this.alarm(`${name}Messages`, `${name}: a message reached a dead-letter queue`, visible, 1);
    this.dashboard.addWidgets(
      new GraphWidget({ title: `${name} (dead letters)`, left: [visible], width: 6 }),
    );
  }

  /** A queue a function consumes: alarm when its oldest message waits longer than `maxAgeSeconds`. */
  watchConsumedQueue(name: string, queue: IQueue, maxAgeSeconds: number): void {
    const age = queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: 'Maximum' });
    this.alarm(
      `${name}OldestMessage`,
      `${name}: oldest message older than ${maxAgeSeconds} s`,
      age,
      maxAgeSeconds,
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${name} backlog`,
        left: [queue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE })],
        right: [age],
        width: 6,
      }),
    );
  }

  /** A stream consumer falling behind: its oldest record is more than `maxAgeSeconds` old when read. */
  watchStream(name: string, fn: IFunction, maxAgeSeconds = 300): void {
    const iteratorAge = fn.metric('IteratorAge', { period: ONE_MINUTE, statistic: 'Maximum' });
    this.alarm(
      `${name}IteratorAge`,
      `${name}: stream records wait over ${maxAgeSeconds} s`,
      iteratorAge,
      maxAgeSeconds * 1000,
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: `${name} iterator age (ms)`, left: [iteratorAge], width: 6 }),
    );
  }

  /** An application metric (Powertools: namespace and `service` dimension = the service). */
  watchMetric(
    name: string,
    spec: {
      description: string;
      metricName: string;
      statistic: string;
      threshold: number;
      periodMinutes: number;
      evaluationPeriods?: number;
    },
    service: string,
  ): void {
    const metric = new Metric({
      namespace: service,
      metricName: spec.metricName,
      dimensionsMap: { service },
      statistic: spec.statistic,
      period: Duration.minutes(spec.periodMinutes),
    });
    const alarm = this.alarm(name, spec.description, metric, spec.threshold);
    if (spec.evaluationPeriods && spec.evaluationPeriods > 1) {
      (alarm.node.defaultChild as CfnAlarm).evaluationPeriods = spec.evaluationPeriods;
    }
    this.dashboard.addWidgets(new GraphWidget({ title: spec.metricName, left: [metric], width: 6 }));
  }

  watchFunction(name: string, fn: IFunction): void {
    const errors = fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' });
    const throttles = fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm(`${name}Errors`, `${name}: function errors`, errors, 1);
    this.alarm(`${name}Throttles`, `${name}: function throttled`, throttles, 1);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${name}`,
        left: [fn.metricInvocations({ period: FIVE_MINUTES }), errors, throttles],
        right: [fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' })],
        width: 6,
      }),
    );
  }

  watchApi(api: RestApi): void {
    const serverErrors = api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm('Api5xx', 'API answered with 5xx', serverErrors, 1);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API',
        left: [
          api.metricCount({ period: FIVE_MINUTES }),
          api.metricClientError({ period: FIVE_MINUTES }),
          serverErrors,
        ],
        right: [api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' })],
        width: 12,
      }),
    );
  }

  watchStateMachine(name: string, machine: StateMachine): void {
    const failed = machine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' });
    const timedOut = machine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm(`${name}Failed`, `${name}: execution failed`, failed, 1);
    this.alarm(`${name}TimedOut`, `${name}: execution timed out`, timedOut, 1);
    this.dashboard.addWidgets(
      new GraphWidget({
        title: `${name} executions`,
        left: [
          machine.metricStarted({ period: FIVE_MINUTES }),
          machine.metricSucceeded({ period: FIVE_MINUTES }),
        ],
        right: [failed, timedOut],
        width: 6,
      }),
    );
  }
}
