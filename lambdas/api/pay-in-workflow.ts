/**
 * Starting the pay-in workflow (Step Functions) for a checkout, with the execution named after the checkout.
 * The workflow is Express, which does not deduplicate names: a second start runs the steps again. That is
 * safe because every step is idempotent (the PSP key, conditional writes, the stored risk decision); the API
 * starts it once per checkout. (Were it Standard, a second start would answer ExecutionAlreadyExists.)
 */
import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Execution names are 1-80 characters of [A-Za-z0-9_-] (what CloudWatch accepts). A checkout id that is not
 * gets `sha256-{hex}` (71 characters): a verbatim id could only collide with it by being a SHA-256 preimage.
 */
export function executionName(checkoutId: string): string {
  if (EXECUTION_NAME.test(checkoutId)) return checkoutId;
  return `sha256-${createHash('sha256').update(checkoutId).digest('hex')}`;
}

export interface PayInInput {
  readonly checkout_id: string;
  readonly payment_order_ids: readonly string[];
}

export function payInWorkflowStarter(
  sfn: SFNClient,
  stateMachineArn: string,
): (checkoutId: string, orderIds: readonly string[]) => Promise<void> {
  return async (checkoutId, orderIds) => {
    const input: PayInInput = { checkout_id: checkoutId, payment_order_ids: orderIds };
    try {
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: executionName(checkoutId),
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  };
}
