/**
 * The local runtime's semantics, proven on the real engines with fixture functions: API Gateway events and API
 * keys, SQS partial batch failures and redrive to the DLQ, S3 notifications, and Step Functions with
 * Map/Retry/Catch and a task-token wait.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import { fixtureManifest } from '../../fixtures/runtime/manifest';
import { engineEndpoints, localDocumentClient } from '../../support/engines';
import { eventually, startTestRuntime, TEST_API_KEY } from '../../support/runtime';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
const db = localDocumentClient();
const aws = () => ({
  endpoint: engineEndpoints().messaging,
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
});

async function observation(pk: string): Promise<Record<string, unknown> | undefined> {
  const got = await db.send(
    new GetCommand({
      TableName: runtime.names.tables.observations,
      Key: { pk, sk: '-' },
      ConsistentRead: true,
    }),
  );
  return got.Item;
}

beforeAll(async () => {
  runtime = await startTestRuntime(fixtureManifest);
});
afterAll(async () => {
  await runtime?.stop();
});

describe('API Gateway stand-in', () => {
  it('hands the function a proxy event with path parameters and the raw body, behind the API key', async () => {
    const raw = '{"b": 1,  "a": [2]}';
    const response = await fetch(`${runtime.apiUrl}/v1/echo/th_123?x=1`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_API_KEY, 'Stripe-Signature': 't=1,v1=abc' },
      body: raw,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    const echoed = (await response.json()) as Record<string, unknown>;
    expect(echoed).toMatchObject({
      resource: '/v1/echo/{thing_id}',
      path: '/v1/echo/th_123',
      method: 'POST',
      pathParameters: { thing_id: 'th_123' },
      query: { x: '1' },
      body: raw,
      signature: 't=1,v1=abc',
    });
  });

  it('answers 403 without the API key and for unknown routes, as API Gateway does', async () => {
    const noKey = await fetch(`${runtime.apiUrl}/v1/echo/x`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(403);
    const unknown = await fetch(`${runtime.apiUrl}/v1/nothing`, { headers: { 'x-api-key': TEST_API_KEY } });
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toEqual({ message: 'Missing Authentication Token' });
    const open = await fetch(`${runtime.apiUrl}/v1/open`, { method: 'POST', body: '{}' });
    expect(open.status).toBe(201);
  });

  it('answers 502 when the function throws', async () => {
    const response = await fetch(`${runtime.apiUrl}/v1/open?crash=1`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(502);
  });

  it('has a health route', async () => {
    const response = await fetch(`${runtime.apiUrl}/_sandbox/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok', functions: 5 });
  });
});

describe('SQS event source', () => {
  it('retries only the failed record of a batch', async () => {
    const sqs = new SQSClient(aws());
    const url = runtime.names.queues.work?.url;
    for (const [id, mode] of [
      ['ok-1', 'ok'],
      ['flaky-1', 'fail-once'],
      ['ok-2', 'ok'],
    ] as const) {
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify({ id, mode }) }));
    }
    const flaky = await eventually(() => observation('processed#flaky-1'));
    const ok1 = await eventually(() => observation('processed#ok-1'));
    const ok2 = await eventually(() => observation('processed#ok-2'));
    expect(flaky).toMatchObject({ attempt: 2, receiveCount: 2 });
    // Each healthy record was processed exactly once: a retry of the whole batch would have counted 2.
    expect(ok1).toMatchObject({ attempt: 1 });
    expect(ok2).toMatchObject({ attempt: 1 });
    sqs.destroy();
  });

  it('moves a message that fails maxReceiveCount times to the dead-letter queue', async () => {
    const sqs = new SQSClient(aws());
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: runtime.names.queues.work?.url,
        MessageBody: JSON.stringify({ id: 'bad', mode: 'poison' }),
      }),
    );
    const dlqUrl = runtime.names.queues['work-dlq']?.url;
    const dead = await eventually(async () => {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      return received.Messages?.[0];
    }, 30_000);
    expect(JSON.parse(dead.Body ?? '{}')).toEqual({ id: 'bad', mode: 'poison' });
    const attempts = await db.send(
      new GetCommand({ TableName: runtime.names.tables.observations, Key: { pk: 'attempts#bad', sk: '-' } }),
    );
    expect(attempts.Item?.attempts).toBe(3); // maxReceiveCount of the fixture queue
    expect(await observation('processed#bad')).toBeUndefined();
    const main = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: runtime.names.queues.work?.url, AttributeNames: ['All'] }),
    );
    expect(main.Attributes?.ApproximateNumberOfMessages).toBe('0');
    sqs.destroy();
  });
});

describe('S3 notifications', () => {
  it('invokes the handler for an object created under the prefix and suffix, and not for others', async () => {
    const s3 = new S3Client({ ...aws(), forcePathStyle: true });
    const bucket = runtime.names.buckets.drop;
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'in/settlement 2026-11-23.csv', Body: 'a,b\n1,2\n' }),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'out/ignored.csv', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/ignored.txt', Body: 'x' }));
    await runtime.settleBuckets();
    expect(await observation('s3#in/settlement 2026-11-23.csv')).toMatchObject({
      bucket,
      size: 8,
      attempt: 1,
    });
    expect(await observation('s3#out/ignored.csv')).toBeUndefined();
    expect(await observation('s3#in/ignored.txt')).toBeUndefined();
    s3.destroy();
  });

  it('retries a failing asynchronous invocation twice, then records it as failed', async () => {
    const s3 = new S3Client({ ...aws(), forcePathStyle: true });
    await s3.send(
      new PutObjectCommand({ Bucket: runtime.names.buckets.drop, Key: 'in/always-fails.csv', Body: 'x' }),
    );
    await runtime.settleBuckets();
    const failed = runtime.failedAsyncInvocations.find((f) =>
      JSON.stringify(f.event).includes('always-fails'),
    );
    expect(failed).toMatchObject({ functionId: 'object-created', attempts: 3 });
    s3.destroy();
  });
});

describe('Step Functions', () => {
  const sfn = () =>
    new SFNClient({
      endpoint: runtime.stepFunctionsUrl,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
  const machineArn = () => runtime.stepFunctions.arnOf('fixture-flow');

  async function awaitToken(checkout: string): Promise<string> {
    const seen = await eventually(() => observation(`token#${checkout}`));
    return String(seen.taskToken);
  }

  it('runs Map with Retry and Catch, waits for the task token, and completes when it is sent', async () => {
    const client = sfn();
    const input = {
      checkout: 'co_1',
      items: [
        { id: 'i1', kind: 'ok' },
        { id: 'i2', kind: 'flaky' },
        { id: 'i3', kind: 'rejected' },
      ],
    };
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn(),
        name: 'co_1',
        input: JSON.stringify(input),
      }),
    );
    const token = await awaitToken('co_1');
    const running = await client.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(running.status).toBe('RUNNING');

    await client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }),
    );
    const done = await eventually(async () => {
      const described = await client.send(
        new DescribeExecutionCommand({ executionArn: started.executionArn }),
      );
      return described.status === 'RUNNING' ? undefined : described;
    });
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output ?? '{}') as { results: { result: unknown }[]; approval: unknown };
    expect(output.approval).toEqual({ approved: true });
    expect(output.results.map((r) => r.result)).toEqual([
      { id: 'i1', attempts: 1, status: 'done' },
      { id: 'i2', attempts: 2, status: 'done' },
      { id: 'i3', status: 'rejected', error: 'Rejected' },
    ]);
    // A token can be used once.
    await expect(
      client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
    client.destroy();
  });

  it('fails the execution through Catch when the task fails with SendTaskFailure', async () => {
    const client = sfn();
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn(),
        name: 'co_2',
        input: JSON.stringify({ checkout: 'co_2', items: [] }),
      }),
    );
    const token = await awaitToken('co_2');
    await client.send(new SendTaskFailureCommand({ taskToken: token, error: 'ApprovalDenied', cause: 'no' }));
    const done = await eventually(async () => {
      const described = await client.send(
        new DescribeExecutionCommand({ executionArn: started.executionArn }),
      );
      return described.status === 'RUNNING' ? undefined : described;
    });
    expect(done).toMatchObject({ status: 'FAILED', error: 'Denied', cause: 'approval was denied' });
    client.destroy();
  });

  it('deduplicates execution names as AWS does', async () => {
    const client = sfn();
    const input = JSON.stringify({ checkout: 'co_3', items: [] });
    const first = await client.send(
      new StartExecutionCommand({ stateMachineArn: machineArn(), name: 'co_3', input }),
    );
    const again = await client.send(
      new StartExecutionCommand({ stateMachineArn: machineArn(), name: 'co_3', input }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    await expect(
      client.send(
        new StartExecutionCommand({ stateMachineArn: machineArn(), name: 'co_3', input: '{"other":1}' }),
      ),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    const token = await awaitToken('co_3');
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await runtime.stepFunctions.idle();
    // Closed executions keep their name.
    await expect(
      client.send(new StartExecutionCommand({ stateMachineArn: machineArn(), name: 'co_3', input })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    client.destroy();
  });
});
