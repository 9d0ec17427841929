/**
 * The local runtime runs every function in one process, so each sees the others' environment variables. On
 * AWS each sees only what its own grants set. This runs every function of the manifest alone, in a process of
 * its own with exactly its own environment (the same variables CDK sets), on a representative event, and
 * fails on any configuration error: a function using a resource it was not granted fails here, not on AWS.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FunctionSpec, manifest } from '../../../lib/manifest';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../../../sandbox/engines/local-aws';
import { baseEnvironment, functionEnvironment, localSecretValue } from '../../../sandbox/environment';
import { engineEndpoints, provisionTestResources } from '../../support/engines';

const root = resolve(import.meta.dirname, '../../..');

/** A representative event for how the function is triggered. */
function eventFor(spec: FunctionSpec): unknown {
  const route = manifest.routes.find((r) => r.function === spec.id);
  if (route) {
    return {
      resource: route.path,
      path: route.path.replace(/\{[^}]+\}/g, 'x_1'),
      httpMethod: route.method,
      headers: { 'content-type': 'application/json' },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.fromEntries([...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => [m[1], 'x_1'])),
      stageVariables: null,
      body: route.method === 'GET' ? null : '{}',
      isBase64Encoded: false,
      requestContext: { requestId: 'isolated', identity: { apiKeyId: 'k', sourceIp: '127.0.0.1' } },
    };
  }
  if (manifest.queueEventSources.some((s) => s.function === spec.id)) {
    return {
      Records: [
        {
          messageId: 'm1',
          receiptHandle: 'r1',
          body: JSON.stringify({ event_id: 'evt_isolated', type: 'payment_intent.succeeded' }),
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: {},
          eventSource: 'aws:sqs',
        },
      ],
    };
  }
  if (manifest.tableStreamEventSources.some((s) => s.function === spec.id)) {
    return {
      Records: [
        {
          eventID: '1',
          eventName: 'MODIFY',
          dynamodb: {
            SequenceNumber: '1',
            Keys: { pk: { S: 'ORDER#po_isolated' }, sk: { S: 'META' } },
            OldImage: { pk: { S: 'ORDER#po_isolated' }, sk: { S: 'META' }, status: { S: 'EXECUTING' } },
            NewImage: { pk: { S: 'ORDER#po_isolated' }, sk: { S: 'META' }, status: { S: 'EXECUTING' } },
          },
        },
      ],
    };
  }
  if (manifest.schedules.some((s) => s.function === spec.id)) {
    return {
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date().toISOString(),
      detail: {},
    };
  }
  // A state machine task: ids that do not exist, so the function reads its configuration and answers not_found.
  return { checkout_id: 'co_isolated', payment_order_id: 'po_isolated' };
}

function runIsolated(spec: FunctionSpec, env: Record<string, string>): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const encoded = Buffer.from(JSON.stringify(eventFor(spec))).toString('base64');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/invoke-isolated.ts', spec.entry, encoded],
      {
        cwd: root,
        // Only what Lambda would have: no variable of ours leaks in from this process.
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', () => resolvePromise(output));
  });
}

describe('each function runs with only its own environment, as on AWS', async () => {
  const names = await provisionTestResources(manifest, 'iso');
  const base = baseEnvironment(manifest, {
    ...engineEndpoints(),
    stepFunctions: 'http://127.0.0.1:9', // nothing listens: a start fails, which some handlers tolerate
    psp: 'http://127.0.0.1:9',
  });
  const stateMachineArn = (id: string) =>
    `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:iso-${id}`;

  it.each(manifest.functions.map((spec) => [spec.id, spec] as const))('%s', async (_id, spec) => {
    const own = functionEnvironment(spec, names, stateMachineArn, (id) => localSecretValue(manifest, id));
    const output = await runIsolated(spec, { ...base, ...own, POWERTOOLS_LOG_LEVEL: 'ERROR' });
    const last = output.trim().split('\n').at(-1) ?? '';
    expect(output).not.toMatch(/ConfigurationError|is not set|Cannot find module|SyntaxError/);
    expect(last).toMatch(/^(RESULT|ERROR) /);
    // A handler may refuse the made-up event (not_found, validation), never fail on its own configuration.
    expect(last).not.toMatch(/^ERROR (ConfigurationError|TypeError|ReferenceError)/);
  });
});
