/**
 * Deployment configuration: what differs between stages (dev, prod) and between marketplaces, read from CDK
 * context and validated at synth, so a stack that could not run real money (no one to receive its alarms, a
 * storefront URL left at an example, a backup copy in the same region) is refused before anything is deployed.
 * Pure: context in, a `DeploymentConfig` or a `ConfigError` listing every problem out.
 */

export const STAGES = ['dev', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export interface Throttle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Alarm thresholds; every one has a default and can be overridden per deployment (context `alarmThresholds`). */
export interface AlarmThresholds {
  /** Failed / (succeeded + failed) pay-ins over 5 minutes, as a fraction. */
  readonly paymentFailureRate: number;
  /** Below this many pay-ins in 5 minutes the failure rate is not judged (one failure in two is noise). */
  readonly paymentFailureRateMinVolume: number;
  /** The oldest order that is not terminal, in seconds. */
  readonly oldestNonTerminalOrderSeconds: number;
  /** Needs-attention records created in 5 minutes. */
  readonly needsAttention: number;
  /** Orders the sweeper failed to move in 15 minutes. */
  readonly sweeperOrderFailures: number;
  /** Breaks of one class in one reconciliation run (per hour). */
  readonly reconciliationBreaks: number;
  /** 5xx answers / requests over 5 minutes, as a fraction. */
  readonly api5xxRate: number;
  /** Below this many requests in 5 minutes the 5xx rate is not judged. */
  readonly api5xxMinRequests: number;
  /** p99 of API Gateway's Latency over 5 minutes, in milliseconds. */
  readonly apiP99LatencyMs: number;
  /** Webhook requests refused for their signature in 5 minutes. */
  readonly webhookSignatureFailures: number;
  /** Oldest message of a consumed queue, in seconds. */
  readonly queueOldestMessageSeconds: number;
  /** Oldest message in a dead-letter queue, in seconds: nobody has acted on it for this long. */
  readonly deadLetterOldestMessageSeconds: number;
  /** Age of the oldest stream record when read, in seconds. */
  readonly streamIteratorAgeSeconds: number;
  /** Function errors in 5 minutes. */
  readonly lambdaErrors: number;
  /** Throttled invocations in 5 minutes. */
  readonly lambdaThrottles: number;
  /** Read plus write throttle events of a table in 5 minutes. */
  readonly dynamoDbThrottles: number;
  /** The oldest payout hold still reserved, in days (a payout the providers have not settled). */
  readonly payoutHoldMaxAgeDays: number;
  /** Open payouts older than their provider's usual time (Stripe 2 days, payee network 5), seen by a sweep. */
  readonly payoutsPastUsualTime: number;
  /** Payout provider events of a type we do not handle, in 5 minutes (either provider). */
  readonly unhandledPayoutProviderEvents: number;
}

export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = {
  paymentFailureRate: 0.2,
  paymentFailureRateMinVolume: 20,
  oldestNonTerminalOrderSeconds: 1800,
  needsAttention: 1,
  sweeperOrderFailures: 10,
  reconciliationBreaks: 1,
  api5xxRate: 0.01,
  api5xxMinRequests: 50,
  apiP99LatencyMs: 3000,
  webhookSignatureFailures: 10,
  queueOldestMessageSeconds: 600,
  deadLetterOldestMessageSeconds: 24 * 3600,
  streamIteratorAgeSeconds: 300,
  lambdaErrors: 1,
  lambdaThrottles: 1,
  dynamoDbThrottles: 1,
  payoutHoldMaxAgeDays: 7,
  payoutsPastUsualTime: 1,
  unhandledPayoutProviderEvents: 1,
};

export interface DeploymentConfig {
  readonly stage: Stage;
  readonly stackName: string;
  /** Required: every alarm notifies the topic this address is subscribed to. */
  readonly alarmEmail: string;
  /** Where runbook links in alarm descriptions point (a repository URL ending in `/`, or a relative path). */
  readonly runbookBaseUrl: string;
  /** Destroy data with the stack (dev only). */
  readonly ephemeral: boolean;
  readonly apiStageName: string;
  /** The storefront's pages the hosted payment page returns the buyer to (`{CHECKOUT_ID}` is replaced). */
  readonly storefrontSuccessUrl: string;
  readonly storefrontCancelUrl: string;
  /**
   * The payee network's API base (the asynchronous payout provider, e.g. `https://api.payee.example/payee`):
   * required on prod (https); absent on dev, a payout to a payee fails loudly as `provider_not_configured`.
   * Its API key is the `payee-api-key` secret (Secrets Manager), like the PSP's.
   */
  readonly payeeApiBase?: string;
  /** Second region AWS Backup copies the money tables to; absent only on dev. */
  readonly backupCopyRegion?: string;
  /** Daily backups kept this many days (the copies too). */
  readonly backupRetentionDays: number;
  readonly stageThrottle: Throttle;
  readonly storefrontThrottle: Throttle;
  /** WAF: requests per 5 minutes from one IP before it is blocked. */
  readonly wafRateLimitPer5Minutes: number;
  /** The account's Lambda concurrency quota: reserved concurrency must leave 100 of it unreserved. */
  readonly lambdaConcurrencyQuota: number;
  readonly alarmThresholds: AlarmThresholds;
  /** Per function (manifest id): reserved concurrency replacing the manifest's, e.g. after the PSP raised its limit. */
  readonly reservedConcurrency: Readonly<Record<string, number>>;
  /** How long a function keeps a secret before reading it again: a rotated key takes effect within this. */
  readonly secretsMaxAgeSeconds: number;
  /** After a rotation, how long the previous webhook signing secret is still accepted. */
  readonly secretRotationWindowHours: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`The deployment configuration is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Per-stage defaults; context values override them. */
const STAGE_DEFAULTS: Record<Stage, Partial<DeploymentConfig>> = {
  dev: {
    ephemeral: true,
    backupRetentionDays: 7,
    stageThrottle: { rateLimit: 100, burstLimit: 200 },
    storefrontThrottle: { rateLimit: 50, burstLimit: 100 },
    wafRateLimitPer5Minutes: 2000,
  },
  prod: {
    ephemeral: false,
    backupRetentionDays: 35 * 12,
    // 1,000 payments/s (one POST each) plus reads and webhooks; under API Gateway's 10,000 rps account quota.
    stageThrottle: { rateLimit: 5000, burstLimit: 5000 },
    storefrontThrottle: { rateLimit: 3000, burstLimit: 5000 },
    // The storefront backend calls from a few IPs: well above its share, far below a flood's.
    wafRateLimitPer5Minutes: 600_000,
  },
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export type ContextReader = (key: string) => unknown;

/** Context values arrive as strings from `-c key=value` and as JSON values from cdk.json. */
function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function readDeploymentConfig(context: ContextReader): DeploymentConfig {
  const problems: string[] = [];
  const str = (key: string) => stringOf(context(key));
  const stageValue = str('stage') ?? 'dev';
  const stage = (STAGES as readonly string[]).includes(stageValue) ? (stageValue as Stage) : undefined;
  if (!stage) problems.push(`stage must be one of ${STAGES.join(', ')} (got ${stageValue})`);
  const defaults = STAGE_DEFAULTS[stage ?? 'dev'];

  const alarmEmail = str('alarmEmail');
  if (!alarmEmail) {
    problems.push('alarmEmail is required: every alarm notifies it (-c alarmEmail=oncall@your-company.com)');
  } else if (!EMAIL.test(alarmEmail)) {
    problems.push(`alarmEmail ${alarmEmail} is not an email address`);
  }

  const url = (key: string) => {
    const value = str(key);
    if (!value) {
      problems.push(`${key} is required: the storefront page the buyer returns to after the hosted page`);
      return '';
    }
    let parsed: URL | undefined;
    try {
      parsed = new URL(value.replace('{CHECKOUT_ID}', 'x'));
    } catch {
      problems.push(`${key} ${value} is not a URL`);
      return value;
    }
    if (parsed.protocol !== 'https:' && stage === 'prod') problems.push(`${key} must be https on prod`);
    if (/(^|\.)(shop\.)?example(\.|$)/.test(parsed.hostname) && stage === 'prod')
      problems.push(`${key} points at an example host (${parsed.hostname})`);
    return value;
  };
  const storefrontSuccessUrl = url('storefrontSuccessUrl');
  const storefrontCancelUrl = url('storefrontCancelUrl');

  const payeeApiBase = str('payeeApiBase');
  if (payeeApiBase) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(payeeApiBase);
    } catch {
      problems.push(`payeeApiBase ${payeeApiBase} is not a URL`);
    }
    if (parsed && parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      problems.push(`payeeApiBase must be an http(s) URL (got ${parsed.protocol})`);
    if (parsed && parsed.protocol !== 'https:' && stage === 'prod')
      problems.push('payeeApiBase must be https on prod');
    if (parsed && (parsed.search || parsed.hash))
      problems.push('payeeApiBase must have no query or fragment (paths are appended to it)');
    if (parsed && /(^|\.)example(\.|$)/.test(parsed.hostname) && stage === 'prod')
      problems.push(`payeeApiBase points at an example host (${parsed.hostname})`);
  } else if (stage === 'prod') {
    problems.push(
      "payeeApiBase is required on prod: the payee network's API (payouts to payees are sent there)",
    );
  }

  const ephemeral =
    str('ephemeral') === undefined ? Boolean(defaults.ephemeral) : str('ephemeral') === 'true';
  if (ephemeral && stage === 'prod')
    problems.push('ephemeral=true is refused on prod: it destroys money data');

  const backupCopyRegion = str('backupCopyRegion');
  if (backupCopyRegion && !REGION.test(backupCopyRegion))
    problems.push(`backupCopyRegion ${backupCopyRegion} is not a region name`);
  if (!backupCopyRegion && stage === 'prod')
    problems.push('backupCopyRegion is required on prod: backups are copied to a second region');

  const int = (key: string, fallback: number, min: number) => {
    const raw = str(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) problems.push(`${key} must be a whole number >= ${min}`);
    return value;
  };

  const thresholds = context('alarmThresholds');
  let overrides: Record<string, unknown> = {};
  if (thresholds !== undefined) {
    try {
      overrides = (typeof thresholds === 'string' ? JSON.parse(thresholds) : thresholds) as Record<
        string,
        unknown
      >;
    } catch {
      problems.push('alarmThresholds must be a JSON object');
    }
  }
  const alarmThresholds: Record<string, number> = { ...DEFAULT_ALARM_THRESHOLDS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_ALARM_THRESHOLDS)) problems.push(`alarmThresholds.${key} is not a known threshold`);
    else if (typeof value !== 'number' || !(value >= 0)) problems.push(`alarmThresholds.${key} must be >= 0`);
    else alarmThresholds[key] = value;
  }

  const reservedConcurrency: Record<string, number> = {};
  const reservedContext = context('reservedConcurrency');
  if (reservedContext !== undefined) {
    try {
      const parsed = (
        typeof reservedContext === 'string' ? JSON.parse(reservedContext) : reservedContext
      ) as Record<string, unknown>;
      for (const [fn, value] of Object.entries(parsed)) {
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
          problems.push(`reservedConcurrency.${fn} must be a whole number >= 0`);
        else reservedConcurrency[fn] = value;
      }
    } catch {
      problems.push('reservedConcurrency must be a JSON object of function id -> number');
    }
  }

  const config: DeploymentConfig = {
    stage: stage ?? 'dev',
    stackName: str('stackName') ?? `MarketplacePayments-${stage ?? 'dev'}`,
    alarmEmail: alarmEmail ?? '',
    runbookBaseUrl: str('runbookBaseUrl') ?? 'docs/runbooks/',
    ephemeral,
    apiStageName: str('apiStageName') ?? stage ?? 'dev',
    storefrontSuccessUrl,
    storefrontCancelUrl,
    ...(payeeApiBase ? { payeeApiBase: payeeApiBase.replace(/\/+$/, '') } : {}),
    ...(backupCopyRegion ? { backupCopyRegion } : {}),
    backupRetentionDays: int('backupRetentionDays', defaults.backupRetentionDays ?? 35, 1),
    stageThrottle: defaults.stageThrottle ?? { rateLimit: 100, burstLimit: 200 },
    storefrontThrottle: defaults.storefrontThrottle ?? { rateLimit: 50, burstLimit: 100 },
    wafRateLimitPer5Minutes: int('wafRateLimitPer5Minutes', defaults.wafRateLimitPer5Minutes ?? 2000, 100),
    lambdaConcurrencyQuota: int('lambdaConcurrencyQuota', 1000, 10),
    alarmThresholds: alarmThresholds as unknown as AlarmThresholds,
    reservedConcurrency,
    secretsMaxAgeSeconds: int('secretsMaxAgeSeconds', 300, 0),
    secretRotationWindowHours: int('secretRotationWindowHours', 24, 0),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
