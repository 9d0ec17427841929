/** Helpers for reconciliation tests: S3 and SQS clients on the engines, the run context of a test system. */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { PaymentsContext } from '../../../lambdas/payments';
import { createStripeClient, StripePaymentProvider } from '../../../lambdas/psp/stripe-provider';
import { StripeBalanceSource } from '../../../lambdas/reconciliation/psp-balance';
import type { RunContext } from '../../../lambdas/reconciliation/run';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import type { LocalSystem } from '../../../sandbox/local-system';

export function s3Of(system: LocalSystem): S3Client {
  return new S3Client({
    endpoint: system.endpoints.messaging,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
  });
}

export function sqsOf(system: LocalSystem): SQSClient {
  return new SQSClient({
    endpoint: system.endpoints.messaging,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
}

export function runContextOf(
  system: LocalSystem,
  ctx: PaymentsContext,
  overrides: Partial<RunContext> = {},
): RunContext {
  const stripe = createStripeClient({
    apiKey: 'sk_test_recon',
    apiBase: system.endpoints.psp,
    timeoutMs: 5_000,
  });
  const { tables, queues } = system.names;
  return {
    db: ctx.db,
    s3: s3Of(system),
    sqs: sqsOf(system),
    tables: {
      payments: ctx.tables.payments,
      ledger: ctx.tables.ledger,
      wallets: ctx.tables.wallets,
      reconciliation: tables.reconciliation ?? '',
      payouts: tables.payouts ?? '',
    },
    queues: {
      finance: queues['reconciliation-breaks']?.url ?? '',
      investigation: queues['reconciliation-investigation']?.url ?? '',
    },
    payments: ctx,
    psp: new StripePaymentProvider(stripe),
    balance: new StripeBalanceSource(stripe),
    settlementWindowMs: 48 * 3_600_000,
    fees: { basisPoints: 290, fixedMinor: 30 },
    internalChecks: true,
    ...overrides,
  };
}

export async function readObject(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await got.Body?.transformToString();
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

export async function putObject(s3: S3Client, bucket: string, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Every message on a queue now (received and deleted), parsed. */
export async function drain(sqs: SQSClient, url: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (;;) {
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) return out;
    for (const m of messages) {
      out.push(JSON.parse(m.Body ?? '{}') as Record<string, unknown>);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle ?? '' }));
    }
  }
}
