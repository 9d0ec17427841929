/**
 * The sweeper: orders whose deadline passed are driven forward by asking the PSP, through the same code as the
 * webhook.
 */
import { MetricName } from '../attention/metrics';
import { applyPayment } from './apply-payment';
import { completeCheckoutIfDone } from './checkouts';
import { later, nowOf, type PaymentsContext } from './context';
import { type DueOrder, postponeDeadline } from './due-index';
import { type ExecutionDependencies, executeOrder, reportPspTrouble } from './executor';
import { sweepHostedCheckout } from './hosted-page';
import { isTerminal, type PaymentOrder } from './model';
import { getOrder } from './order-transitions';
import { DEFAULT_TIMING, waitingRecheckAt } from './timing';

export interface SweepReport {
  readonly examined: number;
  readonly moved: number;
  readonly stillOpen: number;
  readonly errors: readonly { payment_order_id: string; error: string }[];
  /** The PSP's circuit was open: the sweep stopped; the orders it did not reach are still due. */
  readonly circuitOpen?: boolean;
}

export interface SweepOptions {
  /** Orders examined at once (default 1). Each is one or two PSP calls: this bounds the PSP reads. */
  readonly parallelism?: number;
}

/**
 * The sweeper: orders whose deadline passed are driven forward by asking the PSP, through the same code as
 * the webhook. A card order that never got an answer is charged again with the same idempotency key (the PSP
 * answers the first charge); a PENDING one is looked up; one pending past its expiry is canceled. One order's
 * failure never stops the sweep: it is reported and looked at again later. With `deps.circuit`, each order
 * first takes a permit: when the PSP's circuit is open the sweep stops there (sweeping into an outage only
 * adds load) and the orders it did not reach stay due; after the cool-down, the first order is the probe.
 */
export async function sweepDueOrders(
  ctx: PaymentsContext,
  deps: ExecutionDependencies,
  dueOrders: readonly DueOrder[],
  options: SweepOptions = {},
): Promise<SweepReport> {
  const timing = deps.timing ?? DEFAULT_TIMING;
  let moved = 0;
  let stillOpen = 0;
  const errors: { payment_order_id: string; error: string }[] = [];
  const checkouts = new Set<string>();
  /** Checkouts already closed after one of their orders moved (the end of the sweep skips them). */
  const closed = new Set<string>();
  const hostedDone = new Set<string>();
  const now = nowOf(ctx).getTime();
  let oldestOpenMs = 0;
  let circuitOpen = false;
  // The sweeper holds the permit for the order: executeOrder must not take a second one (a probe is one order).
  const { circuit: _heldBySweeper, ...ungated } = deps;
  const sweepOne = async (due: DueOrder): Promise<void> => {
    if (circuitOpen) return;
    const before = await getOrder(ctx, due.payment_order_id);
    if (!before || isTerminal(before.status)) return;
    if (deps.circuit && !(await deps.circuit.permit()).allowed) {
      circuitOpen = true;
      return;
    }
    oldestOpenMs = Math.max(oldestOpenMs, now - Date.parse(before.created_at));
    checkouts.add(before.checkout_id);
    try {
      let after: PaymentOrder | undefined;
      if (before.mode === 'hosted') {
        // One look per checkout: its orders share the page and its payment.
        if (!hostedDone.has(before.checkout_id)) {
          hostedDone.add(before.checkout_id);
          await sweepHostedCheckout(ctx, deps.psp, before.checkout_id);
        }
        after = await getOrder(ctx, before.payment_order_id);
      } else if (before.status === 'PENDING' && before.psp_reference) {
        const expired = nowOf(ctx).getTime() - Date.parse(before.created_at) > timing.pendingExpiryMs;
        const payment = expired
          ? await deps.psp.cancelPayment(before.psp_reference, `cancel-${before.payment_order_id}`)
          : await deps.psp.retrievePayment(before.psp_reference);
        after = (await applyPayment(ctx, before, payment, 'sweeper', timing, deps.psp)).order;
      } else {
        after = await executeOrder(ctx, ungated, before.payment_order_id, 'sweeper');
      }
      if (after && after.status !== before.status) moved++;
      // Its checkout closes now, not at the end of the sweep: an invocation that dies later in the sweep (a
      // crash or a timeout on another order) would leave it open for good, since a terminal order is no
      // longer due and no later sweep comes back to it.
      if (after && isTerminal(after.status) && after.status !== before.status) {
        // A failure here is not the order's: the end of the sweep tries this checkout again.
        const done = await completeCheckoutIfDone(ctx, before.checkout_id).then(
          () => true,
          () => false,
        );
        if (done) closed.add(before.checkout_id);
      }
      if (after && !isTerminal(after.status)) {
        stillOpen++;
        // Still waiting: look again later rather than on every sweep. Waiting on the buyer (PENDING) is not
        // being stuck; an order still EXECUTING after a sweep is.
        if (after.status === before.status) {
          const stuck = after.status === 'EXECUTING' || after.status === 'NOT_STARTED';
          // Stuck: again soon. A card order waiting on 3-D Secure: less often the longer the buyer has been
          // gone. A hosted page keeps the base interval: its page's life bounds it (submit.ts).
          const next =
            stuck || after.mode === 'hosted'
              ? later(ctx, timing.pendingRecheckMs)
              : waitingRecheckAt(timing, after.created_at, nowOf(ctx));
          const count = await postponeDeadline(ctx, after, next, stuck);
          if (stuck) await tellIfStuck(ctx, after, count, timing.attentionAfterSweeps, 'still unresolved');
        }
      }
    } catch (error) {
      // Our credentials refused or a key conflict: a person hears of it (the executor's paths record it too).
      await reportPspTrouble(ctx, before, before.psp_reference, error);
      errors.push({
        payment_order_id: before.payment_order_id,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      // Back off, so that one order that cannot move does not hold its shard's place in every sweep.
      const current = await getOrder(ctx, before.payment_order_id);
      if (current && !isTerminal(current.status)) {
        const count = await postponeDeadline(ctx, current, later(ctx, timing.pendingRecheckMs), true);
        await tellIfStuck(ctx, current, count, timing.attentionAfterSweeps, errors.at(-1)?.error ?? 'error');
      }
    }
  };
  // A small pool: `parallelism` orders in flight, taken in the due index's order.
  let next = 0;
  const worker = async () => {
    while (next < dueOrders.length && !circuitOpen) {
      const due = dueOrders[next++];
      if (due) await sweepOne(due);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallelism ?? 1) }, worker));
  // Each checkout on its own: one that fails (a throttle past the SDK's retries) must not leave the others
  // open, since an order the sweep made terminal is no longer due and no later sweep comes back to it.
  for (const checkoutId of checkouts) {
    if (closed.has(checkoutId)) continue;
    try {
      await completeCheckoutIfDone(ctx, checkoutId).catch(() => completeCheckoutIfDone(ctx, checkoutId));
    } catch (error) {
      errors.push({
        payment_order_id: `checkout ${checkoutId}`,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  // Metrics, not only log lines: alarms watch both (lib/manifest/payin.ts).
  ctx.metrics?.count(MetricName.SweeperOrderFailures, errors.length);
  ctx.metrics?.seconds(MetricName.OldestOpenOrderAgeSeconds, Math.round(oldestOpenMs / 1000));
  return { examined: dueOrders.length, moved, stillOpen, errors, ...(circuitOpen ? { circuitOpen } : {}) };
}

/** After N sweeps that could not move an order, a person is told (once per order: the record is idempotent). */
async function tellIfStuck(
  ctx: PaymentsContext,
  order: PaymentOrder,
  stuckSweeps: number | undefined,
  threshold: number,
  lastError: string,
): Promise<void> {
  if (stuckSweeps === undefined || stuckSweeps < threshold) return;
  await ctx.attention?.record({
    kind: 'unresolved_after_sweeps',
    subjectType: 'payment_order',
    subjectId: order.payment_order_id,
    summary: `order ${order.payment_order_id} is still ${order.status} after ${stuckSweeps} sweeps`,
    details: {
      payment_order_id: order.payment_order_id,
      checkout_id: order.checkout_id,
      status: order.status,
      psp_reference: order.psp_reference ?? '',
      stuck_sweeps: stuckSweeps,
      last_error: lastError.slice(0, 500),
    },
  });
}
