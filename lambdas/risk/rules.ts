/**
 * Risk assessment before any money moves. The provider is a port, so a vendor (Stripe Radar, Sift, ...) can
 * replace the default rules: amount limits per currency, a velocity limit per buyer, and a block list.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CurrencyCode, isCurrencyCode, parseAmount } from '../money';

export const RiskDecision = { Approve: 'approve', Decline: 'decline' } as const;
export type RiskDecision = (typeof RiskDecision)[keyof typeof RiskDecision];

export interface RiskSubject {
  readonly checkoutId: string;
  readonly buyerId: string;
  readonly buyerEmail?: string;
  readonly currency: CurrencyCode;
  readonly totalMinor: bigint;
}

export interface RiskAssessment {
  readonly decision: RiskDecision;
  /** Machine-readable reasons (e.g. `amount_limit`, `velocity`, `blocked_buyer`); empty when approved. */
  readonly reasons: readonly string[];
}

export interface RiskProvider {
  assess(subject: RiskSubject): Promise<RiskAssessment>;
}

export interface RiskRulesConfig {
  /** Largest checkout total per currency, in minor units; a currency not listed has no limit. */
  readonly maxCheckoutMinor: Readonly<Partial<Record<CurrencyCode, bigint>>>;
  readonly blockedBuyers: ReadonlySet<string>;
  readonly velocity: { readonly maxCheckouts: number; readonly windowMinutes: number };
}

/** Reads the rules from the environment: RISK_MAX_CHECKOUT_AMOUNT (JSON of currency -> decimal string), ... */
export function riskRulesFromEnv(env: NodeJS.ProcessEnv): RiskRulesConfig {
  const limits = JSON.parse(env.RISK_MAX_CHECKOUT_AMOUNT ?? '{}') as Record<string, string>;
  const maxCheckoutMinor: Partial<Record<CurrencyCode, bigint>> = {};
  for (const [currency, amount] of Object.entries(limits)) {
    if (!isCurrencyCode(currency)) throw new Error(`RISK_MAX_CHECKOUT_AMOUNT: unknown currency ${currency}`);
    maxCheckoutMinor[currency] = parseAmount(amount, currency).minor;
  }
  const blockedBuyers = new Set(
    (env.RISK_BLOCKED_BUYERS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return {
    maxCheckoutMinor,
    blockedBuyers,
    velocity: {
      maxCheckouts: Number(env.RISK_VELOCITY_MAX_CHECKOUTS ?? 10),
      windowMinutes: Number(env.RISK_VELOCITY_WINDOW_MINUTES ?? 10),
    },
  };
}

/**
 * The default rule set. Velocity is counted in a per-buyer, per-window item holding the SET of checkout ids,
 * so assessing the same checkout twice (a retried workflow step) never counts it twice. The limit holds over
 * any window's length, not per fixed window: the previous window's checkouts count too, weighted by how much
 * of it still lies inside the sliding window (a fixed window alone let a buyer place twice the limit across a
 * boundary, the limit just before it and the limit again just after).
 */
export class DefaultRiskRules implements RiskProvider {
  constructor(
    private readonly config: RiskRulesConfig,
    private readonly store: { db: DynamoDBDocumentClient; table: string },
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async assess(subject: RiskSubject): Promise<RiskAssessment> {
    const reasons: string[] = [];
    if (
      this.config.blockedBuyers.has(subject.buyerId) ||
      (subject.buyerEmail && this.config.blockedBuyers.has(subject.buyerEmail))
    ) {
      reasons.push('blocked_buyer');
    }
    const limit = this.config.maxCheckoutMinor[subject.currency];
    if (limit !== undefined && subject.totalMinor > limit) reasons.push('amount_limit');
    if (reasons.length === 0 && !(await this.withinVelocity(subject))) reasons.push('velocity');
    return { decision: reasons.length ? 'decline' : 'approve', reasons };
  }

  private async withinVelocity(subject: RiskSubject): Promise<boolean> {
    const windowMs = this.config.velocity.windowMinutes * 60_000;
    const nowMs = this.clock().getTime();
    const window = Math.floor(nowMs / windowMs);
    const key = (w: number) => ({ pk: `VELOCITY#${subject.buyerId}`, sk: `W#${w}` });
    const previous = await this.store.db.send(
      new GetCommand({
        TableName: this.store.table,
        Key: key(window - 1),
        ProjectionExpression: 'checkouts',
      }),
    );
    const before = (previous.Item?.checkouts as Set<string> | undefined) ?? new Set<string>();
    // Counted already, just before the boundary (a retried assessment): the same answer, not a second count.
    if (before.has(subject.checkoutId)) return true;
    // This window may hold `room` checkouts: the limit less the part of the previous window still inside
    // the sliding window (a new checkout is admitted while current + 1 + that part <= the limit).
    const stillInside = before.size * (1 - (nowMs - window * windowMs) / windowMs);
    const room = Math.floor(this.config.velocity.maxCheckouts - stillInside);
    try {
      await this.store.db.send(
        new UpdateCommand({
          TableName: this.store.table,
          Key: key(window),
          // The counter outlives its window by a day (the next window reads it), then DynamoDB removes it.
          UpdateExpression: 'ADD checkouts :id SET expires_at = :expires',
          // No room at all: only a checkout already counted here passes (the same answer on a retry).
          ConditionExpression:
            room > 0
              ? 'attribute_not_exists(checkouts) OR size(checkouts) < :room OR contains(checkouts, :checkout)'
              : 'contains(checkouts, :checkout)',
          ExpressionAttributeValues: {
            ':id': new Set([subject.checkoutId]),
            ':checkout': subject.checkoutId,
            ':expires': Math.floor(((window + 1) * windowMs) / 1000) + 86_400,
            ...(room > 0 ? { ':room': room } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
