/**
 * POST /v1/webhooks/psp: the PSP's webhook. The signature is verified on the raw body before anything parses
 * it (no JSON body parser on this route); the event is stored once and queued; the PSP gets 2xx only when the
 * event is safely stored and queued, so it retries otherwise.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { header } from '../api/http';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { logger } from '../shared/logger';
import { businessMetrics } from '../shared/metrics';
import { instrumented } from '../shared/observability';
import { secrets } from '../shared/secrets';
import { acceptVerifiedEvent } from '../webhooks/accept';
import { InvalidSignatureError, MalformedEventError, verifyEvent } from '../webhooks/inbox';

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
  let verified: ReturnType<typeof verifyEvent>;
  try {
    verified = verifyEvent(
      raw,
      header(event, 'stripe-signature'),
      // The current signing secret and, while a rotation is young, the previous one (lambdas/shared/secrets.ts).
      await secrets().inForce('stripe-webhook-secret'),
    );
  } catch (error) {
    if (error instanceof InvalidSignatureError) {
      logger.warn('webhook rejected: bad signature', { request_id: requestId, reason: error.message });
      businessMetrics.webhookSignatureFailure();
      return reply(400, {
        error: { code: 'invalid_signature', message: 'signature verification failed', request_id: requestId },
      });
    }
    if (error instanceof MalformedEventError) {
      // Signed by the PSP's secret but not an event: storing it would share a key with every such body.
      logger.warn('webhook rejected: malformed event', { request_id: requestId, reason: error.message });
      return reply(400, {
        error: { code: 'malformed_event', message: error.message, request_id: requestId },
      });
    }
    throw error;
  }
  const stored = await acceptVerifiedEvent(inbox, queueUrl, verified, {
    message: 'webhook accepted',
    requestId,
  });
  return reply(200, { received: true, duplicate: !stored.firstTime });
}

export const handler = instrumented(handle);
