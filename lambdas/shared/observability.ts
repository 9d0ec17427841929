/**
 * Powertools on every handler with one line: `export const handler = instrumented(handle)`. Each invocation's
 * log lines carry the cold start, the function's request id and the X-Ray trace id (logger context, reset per
 * invocation so one order's keys never leak into the next); the handler runs in a traced segment; the cold
 * start and the metrics the invocation recorded (`lambdas/shared/metrics.ts`) are flushed once at the end, as
 * one CloudWatch EMF line, and nothing is printed when there are none.
 */
import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './logger';
import { metrics } from './metrics';

/** One tracer per container; disabled outside Lambda (and by POWERTOOLS_TRACE_ENABLED=false locally). */
export const tracer = new Tracer({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'marketplace-payments',
});

let coldStart = true;

/** Flushes what the invocation recorded, also when it failed (a failure's metrics matter most). */
function flushMetrics(): MiddlewareObj {
  const flush = () => {
    if (coldStart) {
      coldStart = false;
      metrics.captureColdStartMetric();
    }
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}

/** What a direct call (a test, a script) gets instead of Lambda's context: a request id and a deadline. */
function directCallContext(): Context {
  const deadline = Date.now() + 60_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'direct-call',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'direct-call',
    memoryLimitInMB: '0',
    awsRequestId: `direct-${randomUUID()}`,
    logGroupName: 'direct-call',
    logStreamName: 'direct-call',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function instrumented<TEvent, TResult>(
  handle: (event: TEvent, context: Context) => Promise<TResult>,
): (event: TEvent, context?: Context) => Promise<TResult> {
  const wrapped = middy(handle)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics()) as unknown as (event: TEvent, context: Context) => Promise<TResult>;
  return (event, context) => wrapped(event, context ?? directCallContext());
}
