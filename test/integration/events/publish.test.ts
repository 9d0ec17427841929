/**
 * Domain events end to end on the real engines: writes to the payments table (conditional updates and
 * transactions, as the payments store makes them) -> DynamoDB Local's stream -> the local stream event source
 * -> the real publisher -> SNS (fauxqs) -> a raw-delivery subscriber queue, read as a receiver would.
 */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import { fixtureManifest } from '../../fixtures/events/manifest';
import { engineEndpoints, localDocumentClient } from '../../support/engines';
import { eventually, startTestRuntime } from '../../support/runtime';
import { Inbox, type PaymentsWriter, paymentsWriter } from './support';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let inbox: Inbox;
let payments: PaymentsWriter;
let table: string;
const db = localDocumentClient();

beforeAll(async () => {
  runtime = await startTestRuntime(fixtureManifest);
  table = runtime.names.tables.payments ?? '';
  inbox = new Inbox(runtime.names.queues['domain-events-inbox']?.url ?? '');
  payments = paymentsWriter(db, table);
});
afterAll(async () => {
  await runtime?.stop();
  inbox?.close();
  db.destroy();
});

/** Drives an order to SUCCESS (v4): the change that publishes, after three that do not. */
async function succeed(orderId: string): Promise<void> {
  await payments.createOrder(orderId);
  await payments.moveOrder(orderId, 'NOT_STARTED', 'EXECUTING', 1);
  await payments.moveOrder(orderId, 'EXECUTING', 'PENDING', 2, { pending_reason: 'requires_action' });
  await payments.moveOrder(orderId, 'PENDING', 'SUCCESS', 3, { psp_reference: `pi_${orderId}` });
}

describe('payment order events', () => {
  it('publishes one payment_order.succeeded for an order driven to SUCCESS, and nothing for its other moves', async () => {
    // Prepare
    const orderId = 'po_succeeds';

    // Act
    await succeed(orderId);
    await inbox.receiveThrough(`ORDER#${orderId}#v4`);

    // Assess
    const delivered = inbox.about(`ORDER#${orderId}`);
    expect(delivered.map((d) => d.event)).toEqual([
      {
        id: `ORDER#${orderId}#v4`,
        type: 'payment_order.succeeded',
        occurred_at: '2026-11-24T10:00:04.000Z',
        version: 1,
        data: {
          payment_order_id: orderId,
          checkout_id: 'co_1',
          seller_account: 'acct_seller_1',
          amount: '12.34',
          amount_minor: 1234,
          currency: 'USD',
          psp_reference: `pi_${orderId}`,
          order_version: 4,
        },
      },
    ]);
    expect(delivered[0]?.typeAttribute).toBe('payment_order.succeeded');
  });

  it('publishes payment_order.failed with the decline, in the currency exponent of the order', async () => {
    const orderId = 'po_declined';
    await payments.createOrder(orderId, { currency: 'JPY', amount_minor: 5000 });
    await payments.moveOrder(orderId, 'NOT_STARTED', 'EXECUTING', 1);

    await payments.moveOrder(orderId, 'EXECUTING', 'FAILED', 2, {
      failure_code: 'card_declined',
      failure_reason: 'Your card was declined.',
    });
    await inbox.receiveThrough(`ORDER#${orderId}#v3`);

    const delivered = inbox.about(`ORDER#${orderId}`);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      typeAttribute: 'payment_order.failed',
      event: {
        type: 'payment_order.failed',
        data: { amount: '5000', amount_minor: 5000, currency: 'JPY', failure_code: 'card_declined' },
      },
    });
  });

  it('publishes nothing for a cancelled transaction or a failed conditional write', async () => {
    // Prepare: an executing order (v2).
    const orderId = 'po_cancelled';
    await payments.createOrder(orderId);
    await payments.moveOrder(orderId, 'NOT_STARTED', 'EXECUTING', 1);

    // Act: a transaction that would fail the order, cancelled by its condition check on a missing item...
    const cancelled = db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table,
              Key: { pk: `ORDER#${orderId}`, sk: 'META' },
              UpdateExpression: 'SET #status = :failed, #version = :next',
              ConditionExpression: '#version = :v',
              ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
              ExpressionAttributeValues: { ':failed': 'FAILED', ':next': 3, ':v': 2 },
            },
          },
          {
            ConditionCheck: {
              TableName: table,
              Key: { pk: 'WALLET#nobody', sk: 'META' },
              ConditionExpression: 'attribute_exists(pk)',
            },
          },
        ],
      }),
    );
    await expect(cancelled).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    // ...a stale conditional update (wrong version)...
    const stale = payments.moveOrder(orderId, 'EXECUTING', 'FAILED', 1);
    await expect(stale).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    const staleUpdate = db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `ORDER#${orderId}`, sk: 'META' },
        UpdateExpression: 'SET #status = :failed',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'FAILED', ':pending': 'PENDING' },
      }),
    );
    await expect(staleUpdate).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    // ...then the move that commits.
    await payments.moveOrder(orderId, 'EXECUTING', 'SUCCESS', 2);
    await inbox.receiveThrough(`ORDER#${orderId}#v3`);

    // Assess: the committed success only; the failure that never committed was never published.
    expect(inbox.about(`ORDER#${orderId}`).map((d) => d.event.type)).toEqual(['payment_order.succeeded']);
  });

  it('publishes nothing for changes that keep the status, nor for history items', async () => {
    const orderId = 'po_settled';
    await succeed(orderId);
    await inbox.receiveThrough(`ORDER#${orderId}#v4`);

    // Flags set after the success, a bumped version, and a history item that says SUCCESS.
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `ORDER#${orderId}`, sk: 'META' },
        UpdateExpression: 'SET ledger_updated = :t, wallet_updated = :t, #version = :next',
        ConditionExpression: '#version = :v',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':t': true, ':next': 5, ':v': 4 },
      }),
    );
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { pk: `ORDER#${orderId}`, sk: 'HIST#000099', status: 'SUCCESS', to: 'SUCCESS', version: 99 },
      }),
    );
    const barrier = 'po_barrier_settled';
    await succeed(barrier);
    await inbox.receiveThrough(`ORDER#${barrier}#v4`);

    expect(inbox.about(`ORDER#${orderId}`).map((d) => d.event.id)).toEqual([`ORDER#${orderId}#v4`]);
  });
});

describe('checkout events', () => {
  it('publishes checkout.completed once, when is_payment_done becomes true', async () => {
    // Prepare
    const checkoutId = 'co_done';
    const pk = `CHECKOUT#${checkoutId}`;
    await payments.createCheckout(checkoutId, { order_count: 2 });
    const update = (expression: string, condition: string, values: Record<string, unknown>) =>
      db.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: 'META' },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: values,
        }),
      );

    // Act: an unrelated change, the completion (conditioned on not being done), a change after it.
    await update('SET session_note = :n, #version = :next', '#version = :v', {
      ':n': 'x',
      ':next': 2,
      ':v': 1,
    });
    await update('SET is_payment_done = :t, #version = :next, updated_at = :at', 'is_payment_done = :f', {
      ':t': true,
      ':f': false,
      ':next': 3,
      ':at': '2026-11-24T10:05:00.000Z',
    });
    await update('SET receipt_sent = :t, #version = :next', 'is_payment_done = :t', {
      ':t': true,
      ':next': 4,
    });
    const barrier = 'po_barrier_checkout';
    await succeed(barrier);
    await inbox.receiveThrough(`ORDER#${barrier}#v4`);

    // Assess
    const delivered = inbox.about(pk);
    expect(delivered.map((d) => [d.typeAttribute, d.event])).toEqual([
      [
        'checkout.completed',
        {
          id: `${pk}#v3`,
          type: 'checkout.completed',
          occurred_at: '2026-11-24T10:05:00.000Z',
          version: 1,
          data: { checkout_id: checkoutId, buyer_id: 'buyer_1', order_count: 2, checkout_version: 3 },
        },
      ],
    ]);
    // The buyer's contact details and payment-method token stay in the table.
    expect(delivered[0]?.raw).not.toMatch(/ada@example\.com|Ada Lovelace|pm_card/);
  });
});

describe('a change that cannot be published', () => {
  it('is retried, then described on the on-failure queue, and the changes after it are still published', async () => {
    // Prepare: a success whose currency the publisher cannot read, followed by a good success.
    const bad = 'po_unreadable';
    await payments.createOrder(bad, { currency: 'XXY' });
    const good = 'po_after_unreadable';
    await payments.createOrder(good);

    // Act: both succeed in one transaction, so that their changes most likely reach the publisher together.
    const succeed = (orderId: string) => ({
      Update: {
        TableName: table,
        Key: { pk: `ORDER#${orderId}`, sk: 'META' },
        UpdateExpression: 'SET #status = :success, #version = :next',
        ConditionExpression: '#version = :v',
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: { ':success': 'SUCCESS', ':next': 2, ':v': 1 },
      },
    });
    await db.send(new TransactWriteCommand({ TransactItems: [succeed(bad), succeed(good)] }));
    await inbox.receiveThrough(`ORDER#${good}#v2`);

    // Assess
    expect(inbox.about(`ORDER#${bad}`)).toEqual([]);
    expect(inbox.about(`ORDER#${good}`).map((d) => d.event.type)).toEqual(['payment_order.succeeded']);
    const sqs = new SQSClient({
      endpoint: engineEndpoints().messaging,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const failure = await eventually(async () => {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: runtime.names.queues['domain-events-publish-failures']?.url,
          WaitTimeSeconds: 1,
        }),
      );
      return received.Messages?.[0];
    });
    sqs.destroy();
    const body = JSON.parse(failure.Body ?? '{}') as {
      requestContext: { condition: string; functionArn: string };
      DDBStreamBatchInfo: { batchSize: number; startSequenceNumber: string; endSequenceNumber: string };
    };
    expect(body.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      functionArn: runtime.host.arnOf('publish-domain-events'),
    });
    // Only the bad change was skipped: bisection isolated it before its retries ran out.
    expect(body.DDBStreamBatchInfo.batchSize).toBe(1);
    expect(body.DDBStreamBatchInfo.startSequenceNumber).toBe(body.DDBStreamBatchInfo.endSequenceNumber);
  });
});
