/**
 * The operator's actions (see lambdas/operator/api.ts): queues and DLQs, redrive, webhook event replay, the
 * resolution of a needs-attention record.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { manifest } from '../../lib/manifest';
import { IdempotencyStore } from '../api/idempotency';
import { operatorActionsHandler } from '../operator/api';
import { documentClient, sqsClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { secretValue } from '../shared/secrets';

const db = documentClient();
const sqs = sqsClient();
// Every queue of the manifest is granted to this function (lib/manifest/operator.ts): their URLs are set.
const urls = new Map(manifest.queues.map((q) => [q.id, resource('queue', q.id)]));

export const handler = operatorActionsHandler({
  queues: { sqs, queues: manifest.queues, urlOf: (id) => urls.get(id) as string },
  inbox: { db, table: resource('table', 'webhook-events') },
  enqueueWebhookEvent: async (eventId, type) => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: urls.get('webhook-events'),
        MessageBody: JSON.stringify({ event_id: eventId, type }),
      }),
    );
  },
  audit: { db, table: resource('table', 'operator-audit') },
  attention: { db, table: resource('table', 'attention') },
  idempotency: new IdempotencyStore(db, resource('table', 'idempotency')),
  operatorKey: () => secretValue('operator-api-key'),
  logger: new Logger(),
});
