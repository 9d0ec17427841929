/**
 * POST /v1/webhooks/payouts: the payee network's webhook (the asynchronous payout provider). Same pattern as
 * the PSP's: the signature is verified on the raw body with the secret from Secrets Manager before anything
 * parses it; the event is stored once in the webhook inbox and queued for `apply-webhook-events`; a replay is
 * acknowledged and does nothing more. The provider gets 2xx only once the event is safely stored and queued.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { header } from '../api/http';
import { PAYEE_SIGNATURE_HEADER, verifyPayeeEvent } from '../payouts/payee-webhook';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { logger } from '../shared/logger';
import { businessMetrics } from '../shared/metrics';
import { instrumented } from '../shared/observability';
import { secretValue } from '../shared/secrets';
import { acceptVerifiedEvent } from '../webhooks/accept';
import { InvalidSignatureError } from '../webhooks/inbox';

const inbox = { db: documentClient(), table: resource('table', 'webhook-events') };
const queueUrl = resource('queue', 'webhook-events');

function reply(statusCode: number, body: unknown): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const requestId = event.requestContext.requestId;
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  let verified: ReturnType<typeof verifyPayeeEvent>;
  try {
    verified = verifyPayeeEvent(
      raw,
      header(event, PAYEE_SIGNATURE_HEADER),
      await secretValue('payee-webhook-secret'),
    );
  } catch (error) {
    if (error instanceof InvalidSignatureError) {
      businessMetrics.webhookSignatureFailure();
      logger.warn('payout webhook rejected: bad signature', { request_id: requestId, reason: error.message });
      return reply(400, {
        error: { code: 'invalid_signature', message: 'signature verification failed', request_id: requestId },
      });
    }
    throw error;
  }
  const stored = await acceptVerifiedEvent(inbox, queueUrl, verified, {
    message: 'payout webhook accepted',
    requestId,
  });
  return reply(200, { received: true, duplicate: !stored.firstTime });
}

export const handler = instrumented(handle);
