/**
 * What the operators see: one SNS topic every alarm notifies (alarm and back to OK), every alarm linked to its
 * runbook (`docs/runbooks/<kind>.md`: what it means, how to look, how to fix), and one dashboard with the four
 * golden signals (latency, traffic, errors, saturation) of the API, the workflows, the queues and the PSP, and
 * the money figures. The stack registers resources here as it builds them; the alarms on business metrics
 * read the contract in `lib/manifest/metrics.ts` (namespace, names, dimensions) that the handlers emit.
 */
import { Duration, NestedStack } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { AlarmThresholds } from '../config';
import {
  METRICS_NAMESPACE,
  MetricName,
  RECONCILIATION_BREAK_CLASSES,
  SERVICE_DIMENSION,
} from '../manifest/metrics';

/** Every kind of alarm, each with its runbook `docs/runbooks/<kind>.md`. */
export const ALARM_KINDS = [
  'dead-letter-queue-not-empty',
  'dead-letter-queue-oldest-message',
  'queue-oldest-message',
  'stream-iterator-age',
  'lambda-errors',
  'lambda-throttles',
  'execution-failed',
  'execution-timed-out',
  'api-5xx-rate',
  'api-p99-latency',
  'payment-failure-rate',
  'oldest-non-terminal-order',
  'sweeper-order-failures',
  'needs-attention',
  'refunds-need-attention',
  'reconciliation-breaks',
  'webhook-signature-failures',
  'psp-circuit-open',
  'ledger-item-modified',
  'dynamodb-throttles',
  'payout-hold-age',
  'payout-pending-past-usual-time',
  'unhandled-payout-provider-event',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export interface OperationsProps {
  readonly service: string;
  readonly alarmTopic: ITopic;
  readonly thresholds: AlarmThresholds;
  /** Prefix of runbook links: a repository URL ending in `/` (`https://.../docs/runbooks/`), or a path. */
  readonly runbookBaseUrl: string;
}

interface AlarmOptions {
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

type Section = 'api' | 'workflows' | 'queues' | 'functions' | 'psp' | 'money' | 'data';
const SECTION_TITLES: Record<Section, string> = {
  api: 'API: latency, traffic, errors, saturation (throttled)',
  workflows: 'Workflows: executions started, succeeded, failed, timed out, duration',
  queues: 'Queues: backlog and age; dead letters need a person',
  functions: 'Functions: invocations, errors, throttles, duration, concurrency',
  psp: 'PSP: latency, calls, errors, circuit',
  money: 'Money: pay-ins, pay-outs, refunds (minor units per currency), reconciliation breaks',
  data: 'Data: DynamoDB throttles and latency, ledger immutability',
};

/**
 * A nested stack of its own (one `cdk deploy` of the app still deploys it, as a child of the payments stack):
 * ~130 alarms and the dashboard are a quarter of the system's resources, and CloudFormation allows 500 per
 * template. What the alarms watch (function, queue, table, state machine names, the alarm topic) crosses
 * into the nested template as one parameter per distinct value, under CloudFormation's 200 parameters per
 * template; test/infra/production.test.ts keeps both templates under 450 resources and 200 parameters.
 */
export class Operations extends NestedStack {
  readonly dashboard: Dashboard;
  readonly alarms: { readonly kind: AlarmKind; readonly alarm: Alarm }[] = [];
  private readonly action: SnsAction;
  private readonly props: OperationsProps;
  private readonly sections = new Map<Section, IWidget[]>();

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id, {
      description: `${props.service}: alarms (each linked to its runbook) and the dashboard`,
    });
    this.props = props;
    this.action = new SnsAction(props.alarmTopic);
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.watchBusiness();
  }

  /** A custom metric of the contract: namespace, name, and the service dimension (plus `extra`). */
  custom(name: string, statistic: string, period = FIVE_MINUTES, extra: Record<string, string> = {}): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: this.props.service, ...extra },
      statistic,
      period,
    });
  }

  runbookUrl(kind: AlarmKind): string {
    return `${this.props.runbookBaseUrl}${kind}.md`;
  }

  private alarm(
    kind: AlarmKind,
    id: string,
    summary: string,
    metric: IMetric,
    threshold: number,
    options: AlarmOptions = {},
  ): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: `${summary}\nRunbook: ${this.runbookUrl(kind)}`,
      metric,
      threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm ?? options.evaluationPeriods ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data is no event (no message, no error): only a value at or above the threshold alarms.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push({ kind, alarm });
    return alarm;
  }

  private widget(section: Section, widget: IWidget): void {
    const list = this.sections.get(section) ?? [];
    list.push(widget);
    this.sections.set(section, list);
  }

  private get t(): AlarmThresholds {
    return this.props.thresholds;
  }

  /** Any message in a dead-letter queue (or an on-failure destination) is work that was not done. */
  watchDeadLetterQueue(name: string, queue: IQueue): void {
    const visible = queue.metricApproximateNumberOfMessagesVisible({
      period: ONE_MINUTE,
      statistic: 'Maximum',
    });
    const age = queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' });
    this.alarm(
      'dead-letter-queue-not-empty',
      `${name}Messages`,
      `${name}: a message reached a dead-letter queue (work that was not done).`,
      visible,
      1,
    );
    this.alarm(
      'dead-letter-queue-oldest-message',
      `${name}OldestMessage`,
      `${name}: a dead letter has waited over ${this.t.deadLetterOldestMessageSeconds} s without anyone acting on it.`,
      age,
      this.t.deadLetterOldestMessageSeconds,
    );
    this.widget(
      'queues',
      new GraphWidget({ title: `${name} (dead letters)`, left: [visible], right: [age], width: 6 }),
    );
  }

  /** A queue a function consumes: alarm when its oldest message waits too long. */
  watchConsumedQueue(name: string, queue: IQueue): void {
    const age = queue.metricApproximateAgeOfOldestMessage({ period: ONE_MINUTE, statistic: 'Maximum' });
    const seconds = this.t.queueOldestMessageSeconds;
    this.alarm(
      'queue-oldest-message',
      `${name}OldestMessage`,
      `${name}: oldest message older than ${seconds} s.`,
      age,
      seconds,
    );
    this.widget(
      'queues',
      new GraphWidget({
        title: `${name} backlog (traffic, saturation)`,
        left: [
          queue.metricApproximateNumberOfMessagesVisible({ period: ONE_MINUTE, statistic: 'Maximum' }),
          queue.metricNumberOfMessagesSent({ period: ONE_MINUTE, statistic: 'Sum' }),
        ],
        right: [age],
        width: 6,
      }),
    );
  }

  /** A stream consumer falling behind: its oldest record is old when read. */
  watchStream(name: string, fn: IFunction): void {
    const iteratorAge = fn.metric('IteratorAge', { period: ONE_MINUTE, statistic: 'Maximum' });
    const seconds = this.t.streamIteratorAgeSeconds;
    this.alarm(
      'stream-iterator-age',
      `${name}IteratorAge`,
      `${name}: stream records wait over ${seconds} s before they are processed.`,
      iteratorAge,
      seconds * 1000,
      { evaluationPeriods: 3, datapointsToAlarm: 2 },
    );
    this.widget(
      'queues',
      new GraphWidget({ title: `${name} iterator age (ms)`, left: [iteratorAge], width: 6 }),
    );
  }

  watchFunction(name: string, fn: IFunction, reservedConcurrency?: number): void {
    const errors = fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' });
    const throttles = fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm(
      'lambda-errors',
      `${name}Errors`,
      `${name}: the function failed.`,
      errors,
      this.t.lambdaErrors,
    );
    this.alarm(
      'lambda-throttles',
      `${name}Throttles`,
      `${name}: invocations throttled${reservedConcurrency === undefined ? '' : ` (reserved concurrency ${reservedConcurrency})`}.`,
      throttles,
      this.t.lambdaThrottles,
    );
    const concurrency = fn.metric('ConcurrentExecutions', { period: ONE_MINUTE, statistic: 'Maximum' });
    this.widget(
      'functions',
      new GraphWidget({
        title: `${name}${reservedConcurrency === undefined ? '' : ` (max ${reservedConcurrency})`}`,
        left: [fn.metricInvocations({ period: FIVE_MINUTES }), errors, throttles, concurrency],
        right: [fn.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' })],
        width: 6,
      }),
    );
  }

  watchApi(api: RestApi): void {
    const requests = api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' });
    const serverErrors = api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' });
    const rate = new MathExpression({
      expression: `IF(requests >= ${this.t.api5xxMinRequests}, errors / requests, 0)`,
      usingMetrics: { requests, errors: serverErrors },
      label: '5xx rate',
      period: FIVE_MINUTES,
    });
    this.alarm(
      'api-5xx-rate',
      'Api5xxRate',
      `API: more than ${this.t.api5xxRate * 100}% of requests answered 5xx (over ${this.t.api5xxMinRequests} requests in 5 min).`,
      rate,
      this.t.api5xxRate,
    );
    const p99 = api.metricLatency({ period: ONE_MINUTE, statistic: 'p99' });
    this.alarm(
      'api-p99-latency',
      'ApiP99Latency',
      `API: p99 latency at or above ${this.t.apiP99LatencyMs} ms for 3 of 5 minutes.`,
      p99,
      this.t.apiP99LatencyMs,
      { evaluationPeriods: 5, datapointsToAlarm: 3 },
    );
    this.widget(
      'api',
      new GraphWidget({
        title: 'Latency (ms)',
        left: [
          api.metricLatency({ period: ONE_MINUTE, statistic: 'p50' }),
          p99,
          api.metricIntegrationLatency({ period: ONE_MINUTE, statistic: 'p99' }),
        ],
        width: 8,
      }),
    );
    this.widget('api', new GraphWidget({ title: 'Traffic (requests)', left: [requests], width: 8 }));
    this.widget(
      'api',
      new GraphWidget({
        title: 'Errors (4xx includes throttled and WAF-blocked)',
        left: [api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' }), serverErrors],
        right: [rate],
        width: 8,
      }),
    );
  }

  watchStateMachine(name: string, machine: StateMachine): void {
    const failed = machine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' });
    const timedOut = machine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' });
    this.alarm('execution-failed', `${name}Failed`, `${name}: an execution failed.`, failed, 1);
    this.alarm('execution-timed-out', `${name}TimedOut`, `${name}: an execution timed out.`, timedOut, 1);
    this.widget(
      'workflows',
      new GraphWidget({
        title: `${name} executions`,
        left: [
          machine.metricStarted({ period: FIVE_MINUTES, statistic: 'Sum' }),
          machine.metricSucceeded({ period: FIVE_MINUTES, statistic: 'Sum' }),
          failed,
          timedOut,
          machine.metricThrottled({ period: FIVE_MINUTES, statistic: 'Sum' }),
        ],
        right: [machine.metricTime({ period: FIVE_MINUTES, statistic: 'p99' })],
        width: 8,
      }),
    );
  }

  /** DynamoDB on demand still throttles (a hot partition, a table's own limits): any throttle is a signal. */
  watchTable(name: string, table: ITable): void {
    const reads = table.metric('ReadThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' });
    const writes = table.metric('WriteThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' });
    const throttles = new MathExpression({
      expression: 'FILL(reads, 0) + FILL(writes, 0)',
      usingMetrics: { reads, writes },
      label: `${name} throttle events`,
      period: FIVE_MINUTES,
    });
    this.alarm(
      'dynamodb-throttles',
      `${name}Throttles`,
      `Table ${name}: read or write requests throttled.`,
      throttles,
      this.t.dynamoDbThrottles,
    );
    this.widget(
      'data',
      new GraphWidget({
        title: `${name} table`,
        left: [throttles],
        right: [
          table.metricSuccessfulRequestLatency({
            period: FIVE_MINUTES,
            statistic: 'p99',
            dimensionsMap: { TableName: table.tableName, Operation: 'TransactWriteItems' },
          }),
        ],
        width: 6,
      }),
    );
  }

  /** Alarms and graphs on the business metrics the handlers emit (lib/manifest/metrics.ts). */
  private watchBusiness(): void {
    const t = this.props.thresholds;
    const succeeded = this.custom(MetricName.PayInSucceeded, 'Sum');
    const failed = this.custom(MetricName.PayInFailed, 'Sum');
    const failureRate = new MathExpression({
      expression: `IF(FILL(s, 0) + FILL(f, 0) >= ${t.paymentFailureRateMinVolume}, FILL(f, 0) / (FILL(s, 0) + FILL(f, 0)), 0)`,
      usingMetrics: { s: succeeded, f: failed },
      label: 'pay-in failure rate',
      period: FIVE_MINUTES,
    });
    this.alarm(
      'payment-failure-rate',
      'PaymentFailureRate',
      `Pay-ins: more than ${t.paymentFailureRate * 100}% of payment orders FAILED in 5 minutes.`,
      failureRate,
      t.paymentFailureRate,
    );
    const oldest = this.custom(MetricName.OldestNonTerminalOrderAgeSeconds, 'Maximum');
    this.alarm(
      'oldest-non-terminal-order',
      'OldestNonTerminalOrder',
      `Pay-ins: an order has not reached a final status for ${t.oldestNonTerminalOrderSeconds} s.`,
      oldest,
      t.oldestNonTerminalOrderSeconds,
    );
    // Orders the sweeper tried and could not move (PSP errors, throttles): each retries, but many in a row
    // mean the pay-in is not healing by itself (the PSP, our key, a bug).
    this.alarm(
      'sweeper-order-failures',
      'SweeperOrderFailures',
      `Pay-ins: the sweeper failed to move ${t.sweeperOrderFailures} or more orders in 15 minutes.`,
      this.custom(MetricName.SweeperOrderFailures, 'Sum', Duration.minutes(15)),
      t.sweeperOrderFailures,
    );
    this.alarm(
      'needs-attention',
      'NeedsAttention',
      'A payment, pay-out or refund could not resolve itself: a needs-attention record waits for a person.',
      this.custom(MetricName.NeedsAttentionCreated, 'Sum'),
      t.needsAttention,
    );
    // Refunds' own: every call that found a refund (or a dashboard refund, a dispute) a person must handle,
    // also while the problem persists (a sweeper finding it again each run), so it stays in ALARM until resolved.
    this.alarm(
      'refunds-need-attention',
      'RefundsNeedAttention',
      'Refunds: a refund, transfer reversal or money-back event needs a person (stuck at the PSP, not found after its key window, a reversal that failed, a refund or dispute no single order can bear).',
      this.custom(MetricName.RefundsNeedingAttention, 'Sum'),
      1,
    );
    for (const breakClass of RECONCILIATION_BREAK_CLASSES) {
      this.alarm(
        'reconciliation-breaks',
        `ReconciliationBreaks${breakClass.replace(/(^|_)([a-z])/g, (_m, _p, c: string) => c.toUpperCase())}`,
        `Reconciliation: ${breakClass} breaks between the PSP's settlement and our records.`,
        this.custom(MetricName.ReconciliationBreaks, 'Sum', Duration.hours(1), { class: breakClass }),
        t.reconciliationBreaks,
      );
    }
    const signatures = this.custom(MetricName.WebhookSignatureFailures, 'Sum');
    this.alarm(
      'webhook-signature-failures',
      'WebhookSignatureFailures',
      `Webhook: ${t.webhookSignatureFailures} or more requests refused for their signature in 5 minutes.`,
      signatures,
      t.webhookSignatureFailures,
    );
    const circuit = this.custom(MetricName.PspCircuitOpen, 'Maximum', ONE_MINUTE);
    this.alarm(
      'psp-circuit-open',
      'PspCircuitOpen',
      'PSP circuit open: new charges are refused.',
      circuit,
      1,
    );
    // Pay-outs: failed executions alarm per state machine (watchStateMachine); these watch the money held.
    const holdAge = this.custom(MetricName.OldestPayoutHoldAgeSeconds, 'Maximum', Duration.minutes(15));
    this.alarm(
      'payout-hold-age',
      'PayoutHoldAge',
      `Pay-outs: a payout hold has been reserved for ${t.payoutHoldMaxAgeDays} days or more without a final answer.`,
      holdAge,
      t.payoutHoldMaxAgeDays * 86_400,
    );
    const late = this.custom(MetricName.PayoutsPastUsualTime, 'Maximum', Duration.minutes(15));
    this.alarm(
      'payout-pending-past-usual-time',
      'PayoutsPastUsualTime',
      `Pay-outs: ${t.payoutsPastUsualTime} or more payouts pending past their provider's usual time.`,
      late,
      t.payoutsPastUsualTime,
    );
    const unhandled = this.custom(MetricName.UnhandledPayoutProviderEvents, 'Sum');
    this.alarm(
      'unhandled-payout-provider-event',
      'UnhandledPayoutProviderEvents',
      'Pay-outs: a payout provider (Stripe Connect or the payee network) sent an event type we do not handle.',
      unhandled,
      t.unhandledPayoutProviderEvents,
    );
    this.widget(
      'money',
      new GraphWidget({
        title: 'Pay-out holds (oldest, s) and late payouts',
        left: [holdAge],
        right: [late, unhandled],
        width: 6,
      }),
    );
    const ledgerModified = this.custom(MetricName.LedgerItemModified, 'Sum', ONE_MINUTE);
    this.alarm(
      'ledger-item-modified',
      'LedgerItemModified',
      'A ledger item was modified or removed: the ledger is append-only.',
      ledgerModified,
      1,
    );

    const latency = (stat: string) => this.custom(MetricName.PspLatency, stat, ONE_MINUTE);
    this.widget(
      'psp',
      new GraphWidget({ title: 'PSP latency (ms)', left: [latency('p50'), latency('p99')], width: 6 }),
    );
    this.widget(
      'psp',
      new GraphWidget({
        title: 'PSP calls and errors',
        left: [latency('SampleCount'), this.custom(MetricName.PspErrors, 'Sum', ONE_MINUTE)],
        width: 6,
      }),
    );
    this.widget('psp', new GraphWidget({ title: 'PSP circuit (1 = open)', left: [circuit], width: 6 }));
    this.widget(
      'psp',
      new GraphWidget({ title: 'Webhook signature failures', left: [signatures], width: 6 }),
    );

    this.widget(
      'money',
      new GraphWidget({
        title: 'Pay-ins (orders)',
        left: [succeeded, failed],
        right: [failureRate],
        width: 6,
      }),
    );
    this.widget(
      'money',
      new GraphWidget({
        title: 'Pay-outs and refunds',
        left: [
          this.custom(MetricName.PayoutSucceeded, 'Sum'),
          this.custom(MetricName.PayoutFailed, 'Sum'),
          this.custom(MetricName.RefundSucceeded, 'Sum'),
          this.custom(MetricName.RefundFailed, 'Sum'),
        ],
        width: 6,
      }),
    );
    // Amounts per currency: a search, so a new currency shows up without a deploy.
    const search = (name: string, dimension: string, label: string) =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${SERVICE_DIMENSION},${dimension}} MetricName="${name}" ${SERVICE_DIMENSION}="${this.props.service}"', 'Sum', 3600)`,
        label,
        period: Duration.hours(1),
      });
    this.widget(
      'money',
      new GraphWidget({
        title: 'Amounts per hour (minor units)',
        left: [
          search(MetricName.PayInAmount, 'currency', 'pay-in'),
          search(MetricName.PayoutAmount, 'currency', 'pay-out'),
          search(MetricName.RefundAmount, 'currency', 'refund'),
        ],
        width: 6,
      }),
    );
    this.widget(
      'money',
      new GraphWidget({
        title: 'Reconciliation breaks per class',
        left: [search(MetricName.ReconciliationBreaks, 'class', 'breaks')],
        width: 6,
      }),
    );
    this.widget(
      'money',
      new SingleValueWidget({
        title: 'Needs attention (24 h) / oldest open order (s)',
        metrics: [this.custom(MetricName.NeedsAttentionCreated, 'Sum', Duration.days(1)), oldest],
        width: 12,
      }),
    );
    this.widget(
      'data',
      new GraphWidget({ title: 'Ledger items modified (must stay 0)', left: [ledgerModified], width: 6 }),
    );
    this.widget(
      'functions',
      new GraphWidget({
        title: 'Account concurrency (saturation)',
        left: [
          new Metric({
            namespace: 'AWS/Lambda',
            metricName: 'ConcurrentExecutions',
            statistic: 'Maximum',
            period: ONE_MINUTE,
          }),
          new Metric({
            namespace: 'AWS/Lambda',
            metricName: 'UnreservedConcurrentExecutions',
            statistic: 'Maximum',
            period: ONE_MINUTE,
          }),
        ],
        width: 6,
      }),
    );
  }

  /** Lays the dashboard out by section; called once, after every resource is registered. */
  finish(): void {
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          `# ${this.props.service}\nEvery alarm notifies the alarm topic and links its runbook ` +
          `(${this.props.runbookBaseUrl}). A message in a dead-letter queue, a needs-attention record and a ` +
          'modified ledger item always need a person.',
        width: 24,
        height: 2,
      }),
    );
    for (const section of Object.keys(SECTION_TITLES) as Section[]) {
      const widgets = this.sections.get(section);
      if (!widgets?.length) continue;
      this.dashboard.addWidgets(
        new TextWidget({ markdown: `## ${SECTION_TITLES[section]}`, width: 24, height: 1 }),
      );
      this.dashboard.addWidgets(...widgets);
    }
  }
}
