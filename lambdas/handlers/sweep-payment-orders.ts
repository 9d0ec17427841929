/**
 * Scheduled sweeper: orders EXECUTING or PENDING (or never started) past their deadline are driven forward by
 * asking the PSP, through the same code as the webhook.
 */
import { dueOrders } from '../payments/due-index';
import { sweepDueOrders } from '../payments/sweeper';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';
import { paymentProvider, paymentsContext, paymentTiming, riskProvider } from '../shared/wiring';

async function handle(): Promise<{
  examined: number;
  moved: number;
  stillOpen: number;
  errors: number;
}> {
  const ctx = paymentsContext();
  const due = await dueOrders(ctx, new Date());
  const report = await sweepDueOrders(
    ctx,
    { psp: await paymentProvider(), risk: riskProvider(), timing: paymentTiming() },
    due,
  );
  if (report.errors.length) logger.warn('sweep left orders for the next run', { errors: report.errors });
  logger.info('sweep done', { examined: report.examined, moved: report.moved, still_open: report.stillOpen });
  return {
    examined: report.examined,
    moved: report.moved,
    stillOpen: report.stillOpen,
    errors: report.errors.length,
  };
}

export const handler = instrumented(handle);
