/**
 * At-least-once, end to end: the publisher crashes after SNS accepted an event (see
 * test/fixtures/events/publish-with-faults.ts), the stream event source delivers the change again, and the
 * event is published again with the same id and the same body, so a receiver that deduplicates on the id sees
 * it once. This runtime starts the stream at LATEST.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { faultyPublisherManifest } from '../../fixtures/events/manifest';
import { localDocumentClient } from '../../support/engines';
import { eventually, startTestRuntime } from '../../support/runtime';
import { Inbox, type PaymentsWriter, paymentsWriter } from './support';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let inbox: Inbox;
let payments: PaymentsWriter;
const db = localDocumentClient();

beforeAll(async () => {
  runtime = await startTestRuntime(faultyPublisherManifest);
  inbox = new Inbox(runtime.names.queues['domain-events-inbox']?.url ?? '');
  payments = paymentsWriter(db, runtime.names.tables.payments ?? '');
});
afterAll(async () => {
  await runtime?.stop();
  inbox?.close();
  db.destroy();
});

it('publishes a redelivered change again with the same id and body, and a receiver dedupes it to one', async () => {
  // Prepare
  const orderId = 'po_crash-after-publish';
  await payments.createOrder(orderId);
  await payments.moveOrder(orderId, 'NOT_STARTED', 'EXECUTING', 1);

  // Act
  await payments.moveOrder(orderId, 'EXECUTING', 'SUCCESS', 2, { psp_reference: 'pi_crash' });
  const delivered = await eventually(async () => {
    await inbox.poll(1);
    const about = inbox.about(`ORDER#${orderId}`);
    return about.length >= 2 ? about : undefined;
  }, 60_000);

  // Assess: every delivery is the same event; deduplicated on its id, a receiver sees one.
  expect(delivered[0]?.event).toMatchObject({ id: `ORDER#${orderId}#v3`, type: 'payment_order.succeeded' });
  for (const again of delivered) expect(again.raw).toBe(delivered[0]?.raw);
  const byId = new Map(inbox.delivered.map((d) => [d.event.id, d.event]));
  expect([...byId.keys()].filter((id) => id.startsWith(`ORDER#${orderId}#`))).toEqual([
    `ORDER#${orderId}#v3`,
  ]);
});
