/** Every few minutes: refunds whose PSP answer was ambiguous are looked up (see resolveDueRefunds). */
import { resolveDueRefunds } from '../refunds/service';
import { moneyBackDependencies } from '../refunds/wiring';
import { logger } from '../shared/logger';

export async function handler(): Promise<{ resolved: number; waiting: number }> {
  const report = await resolveDueRefunds(
    moneyBackDependencies((message, data) => logger.warn(message, data)),
  );
  if (report.waiting > 0) logger.warn('refunds still waiting for the PSP', report);
  return report;
}
