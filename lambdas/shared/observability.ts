/**
 * Powertools on every handler with one line: `export const handler = instrumented(handle)`. Each invocation's
 * log lines carry the cold start, the function's request id and the X-Ray trace id (logger context, reset per
 * invocation so one order's keys never leak into the next); the handler runs in a traced segment; the cold
 * start and the metrics the invocation recorded (`lambdas/shared/metrics.ts`) are flushed once at the end, as
 * one CloudWatch EMF line, and nothing is printed when there are none.
 */
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

export function instrumented<TEvent, TResult>(
  handle: (event: TEvent, context: Context) => Promise<TResult>,
): (event: TEvent, context: Context) => Promise<TResult> {
  return middy(handle)
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(flushMetrics()) as unknown as (event: TEvent, context: Context) => Promise<TResult>;
}
