/**
 * What the events tests share: writes to the payments table shaped like the payments store's (conditional
 * updates, transactions with a history item), and an inbox that reads the subscriber queue as a receiver
 * would (raw SNS delivery: the body is the event, the type a message attribute).
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { DomainEvent } from '../../../lambdas/events';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import { checkoutItem, type Item, orderItem } from '../../fixtures/events/records';
import { engineEndpoints } from '../../support/engines';
import { eventually } from '../../support/runtime';

export interface Delivered {
  readonly event: DomainEvent;
  readonly raw: string;
  readonly typeAttribute: string | undefined;
}

export class Inbox {
  readonly delivered: Delivered[] = [];
  private readonly sqs = new SQSClient({
    endpoint: engineEndpoints().messaging,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });

  constructor(private readonly queueUrl: string) {}

  /** Receives what is there now; answers how many messages came. */
  async poll(waitSeconds = 0): Promise<number> {
    const received = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    for (const message of messages) {
      const raw = message.Body ?? '';
      this.delivered.push({
        event: JSON.parse(raw) as DomainEvent,
        raw,
        typeAttribute: message.MessageAttributes?.event_type?.StringValue,
      });
    }
    if (messages.length > 0) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    return messages.length;
  }

  /**
   * Waits for an event that matches, then takes everything else already in the queue. The stream is read in
   * order, so once a later change's event is here, every earlier change has been handled: whatever they
   * published is in the queue now.
   */
  async receiveUntil(matches: (event: DomainEvent) => boolean): Promise<Delivered> {
    const found = await eventually(async () => {
      await this.poll(1);
      return this.delivered.find((d) => matches(d.event));
    }, 60_000);
    while ((await this.poll(0)) > 0) {}
    return found;
  }

  async receiveThrough(eventId: string): Promise<Delivered> {
    return this.receiveUntil((event) => event.id === eventId);
  }

  /** What was delivered about one item (its key): event ids are `{pk}#v{version}`. */
  about(pk: string): Delivered[] {
    return this.delivered.filter((d) => d.event.id.startsWith(`${pk}#v`));
  }

  close(): void {
    this.sqs.destroy();
  }
}

export interface PaymentsWriter {
  createOrder(orderId: string, overrides?: Item): Promise<void>;
  /** Moves an order from `from` (at `version`) to `to`, with its history item, in one transaction. */
  moveOrder(orderId: string, from: string, to: string, version: number, set?: Item): Promise<void>;
  createCheckout(checkoutId: string, overrides?: Item): Promise<void>;
}

const at = (version: number) => new Date(Date.UTC(2026, 10, 24, 10, 0, version)).toISOString();

export function paymentsWriter(db: DynamoDBDocumentClient, table: string): PaymentsWriter {
  return {
    async createOrder(orderId, overrides = {}) {
      const order = orderItem({
        payment_order_id: orderId,
        status: 'NOT_STARTED',
        version: 1,
        updated_at: at(1),
        ...overrides,
      });
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table, Item: order, ConditionExpression: 'attribute_not_exists(pk)' } },
            {
              Put: {
                TableName: table,
                Item: { pk: order.pk, sk: 'HIST#000001', version: 1, from: null, to: order.status },
              },
            },
          ],
        }),
      );
    },

    async moveOrder(orderId, from, to, version, set = {}) {
      const next = version + 1;
      const names: Record<string, string> = { '#status': 'status', '#version': 'version' };
      const values: Record<string, unknown> = { ':from': from, ':to': to, ':v': version, ':next': next };
      const sets = ['#status = :to', '#version = :next', 'updated_at = :at'];
      values[':at'] = at(next);
      for (const [i, [name, value]] of Object.entries(set).entries()) {
        names[`#a${i}`] = name;
        values[`:a${i}`] = value;
        sets.push(`#a${i} = :a${i}`);
      }
      const pk = `ORDER#${orderId}`;
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: table,
                Key: { pk, sk: 'META' },
                UpdateExpression: `SET ${sets.join(', ')}`,
                ConditionExpression: '#status = :from AND #version = :v',
                ExpressionAttributeNames: names,
                ExpressionAttributeValues: values,
              },
            },
            {
              Put: {
                TableName: table,
                Item: { pk, sk: `HIST#${String(next).padStart(6, '0')}`, version: next, from, to },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    },

    async createCheckout(checkoutId, overrides = {}) {
      await db.send(
        new PutCommand({
          TableName: table,
          Item: checkoutItem({ checkout_id: checkoutId, ...overrides }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    },
  };
}
