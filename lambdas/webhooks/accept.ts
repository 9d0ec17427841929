/**
 * What both webhooks (the PSP's and the payout provider's) do with an event whose signature checked out: store
 * it once in the inbox, queue it for the consumer unless it was already applied, and log the outcome.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { sqsClient } from '../shared/aws-clients';
import { logger } from '../shared/logger';
import { type InboxContext, storeEvent, type VerifiedEvent } from './inbox';

export async function acceptVerifiedEvent(
  inbox: InboxContext,
  queueUrl: string,
  verified: VerifiedEvent,
  log: { readonly message: string; readonly requestId: string },
): Promise<{ firstTime: boolean; needsApplying: boolean }> {
  const stored = await storeEvent(inbox, verified);
  if (stored.needsApplying) {
    await sqsClient().send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({ event_id: verified.id, type: verified.type }),
      }),
    );
  }
  logger.info(log.message, {
    request_id: log.requestId,
    event_id: verified.id,
    type: verified.type,
    duplicate: !stored.firstTime,
    queued: stored.needsApplying,
  });
  return stored;
}
