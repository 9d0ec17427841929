/**
 * The publisher handler with SNS replaced by aws-sdk-client-mock: events go out in record order with their
 * type as a message attribute; a failed publish is reported as the first failed record, nothing after it is
 * published, and the redelivered record publishes the same event (same id, same body).
 */
import { PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { envVarFor } from '../../../lib/manifest';
import { checkoutItem, orderMove, streamRecord } from '../../fixtures/events/records';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:domain-events';
const sns = mockClient(SNSClient);
let handler: typeof import('../../../lambdas/handlers/publish-domain-events').handler;

beforeAll(async () => {
  // The handler reads its configuration at module load.
  process.env[envVarFor('topic', 'domain-events')] = TOPIC_ARN;
  ({ handler } = await import('../../../lambdas/handlers/publish-domain-events'));
});
beforeEach(() => sns.reset());
afterAll(() => sns.restore());

const published = () =>
  sns.commandCalls(PublishCommand).map((call) => {
    const input = call.args[0].input;
    return {
      topic: input.TopicArn,
      type: input.MessageAttributes?.event_type?.StringValue,
      id: input.MessageAttributes?.event_id?.StringValue,
      body: JSON.parse(input.Message ?? 'null') as { id: string; type: string },
      raw: input.Message,
    };
  });

const throttled = () => new ThrottledException({ message: 'Rate exceeded', $metadata: {} });

function batch(): DynamoDBRecord[] {
  return [
    orderMove('EXECUTING', 'SUCCESS', { payment_order_id: 'po_a' }),
    orderMove('NOT_STARTED', 'EXECUTING', { payment_order_id: 'po_b' }),
    orderMove('EXECUTING', 'FAILED', { payment_order_id: 'po_c', failure_code: 'card_declined' }),
    streamRecord({
      before: checkoutItem({ version: 1 }),
      after: checkoutItem({ version: 2, is_payment_done: true }),
    }),
  ];
}

describe('publish-domain-events handler', () => {
  it('publishes one message per event, in order, with the type and id as message attributes', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm' });

    // Act
    const response = await handler({ Records: batch() });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(published().map(({ topic, type, id }) => ({ topic, type, id }))).toEqual([
      { topic: TOPIC_ARN, type: 'payment_order.succeeded', id: 'ORDER#po_a#v3' },
      { topic: TOPIC_ARN, type: 'payment_order.failed', id: 'ORDER#po_c#v3' },
      { topic: TOPIC_ARN, type: 'checkout.completed', id: 'CHECKOUT#co_1#v2' },
    ]);
    for (const message of published())
      expect(message.body).toMatchObject({ id: message.id, type: message.type });
  });

  it('reports the record whose publish was throttled and publishes nothing after it', async () => {
    const records = batch();
    sns
      .on(PublishCommand)
      .resolvesOnce({ MessageId: 'm1' })
      .rejectsOnce(throttled())
      .resolves({ MessageId: 'm' });

    const response = await handler({ Records: records });

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: records[2]?.dynamodb?.SequenceNumber }],
    });
    // The attempt on po_c was made and failed; the checkout after it was not attempted.
    expect(published().map((m) => m.id)).toEqual(['ORDER#po_a#v3', 'ORDER#po_c#v3']);
  });

  it('publishes the same event, byte for byte, when the failed record is delivered again', async () => {
    const records = batch();
    sns
      .on(PublishCommand)
      .resolvesOnce({ MessageId: 'm1' })
      .rejectsOnce(throttled())
      .resolves({ MessageId: 'm' });
    await handler({ Records: records });
    const failedAttempt = published()[1];

    // The event source retries from the reported record.
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const retry = await handler({ Records: records.slice(2) });

    expect(retry).toEqual({ batchItemFailures: [] });
    const [again] = published();
    expect(again?.id).toBe('ORDER#po_c#v3');
    expect(again?.raw).toBe(failedAttempt?.raw);
  });

  it('reports a change it cannot read instead of skipping it', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const unreadable = orderMove('EXECUTING', 'SUCCESS', { payment_order_id: 'po_x', currency: 'XXY' });
    const records = [orderMove('EXECUTING', 'SUCCESS', { payment_order_id: 'po_a' }), unreadable];

    const response = await handler({ Records: records });

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: unreadable.dynamodb?.SequenceNumber }],
    });
    expect(published().map((m) => m.id)).toEqual(['ORDER#po_a#v3']);
  });
});
