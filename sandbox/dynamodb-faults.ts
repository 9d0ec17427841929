/**
 * DynamoDB faults injected in the SDK client, for chaos runs (AWS's own fault injection cannot produce these):
 * throttling (`ProvisionedThroughputExceededException`, retried by the SDK's own backoff, so only a run of
 * them reaches our code) and transaction conflicts (`TransactionCanceledException` with `TransactionConflict`
 * reasons, which the SDK does not retry). A fault is thrown before the request is sent: nothing was written.
 *
 * Deterministic from a seed: the dice for a call are a hash of the seed, the operation, the keys it touches
 * and how many times those keys were tried before, so the same seed faults the same writes of the same
 * orders whatever the interleaving of concurrent requests.
 */
import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  HandlerExecutionContext,
  MetadataBearer,
} from '@smithy/types';
import { seededRng } from './psp/random';

export interface DynamoFaultOptions {
  readonly seed: string | number;
  /** Probability that one attempt of any call is throttled (0..1). */
  readonly throttle: number;
  /** Probability that one TransactWriteItems is cancelled by a conflicting transaction (0..1). */
  readonly transactionConflict: number;
}

export interface DynamoFaultStats {
  throttled: number;
  conflicts: number;
  calls: number;
}

export interface DynamoFaults {
  readonly stats: DynamoFaultStats;
  /** Turns the faults off (the end of a chaos run) without removing the middleware. */
  disable(): void;
  enable(): void;
  remove(): void;
}

const NAME = 'sandboxDynamoFaults';

/** What a call touches: its table and keys (or its query), never the values it writes. */
function keysOf(input: Record<string, unknown>): string {
  const pick = (request: Record<string, unknown> | undefined) => {
    if (!request) return '';
    const item = request.Item as Record<string, unknown> | undefined;
    const key = (request.Key as Record<string, unknown> | undefined) ?? {
      pk: item?.pk,
      sk: item?.sk,
    };
    return `${String(request.TableName)}:${JSON.stringify(key)}`;
  };
  const transact = input.TransactItems as Record<string, Record<string, unknown>>[] | undefined;
  if (transact) return transact.map((t) => pick(Object.values(t)[0])).join('|');
  if (input.KeyConditionExpression)
    return `${String(input.TableName)}:${JSON.stringify(input.ExpressionAttributeValues)}`;
  return pick(input);
}

export function installDynamoFaults(
  client: DynamoDBDocumentClient,
  options: DynamoFaultOptions,
): DynamoFaults {
  const stats: DynamoFaultStats = { throttled: 0, conflicts: 0, calls: 0 };
  const attempts = new Map<string, number>();
  let enabled = true;
  client.middlewareStack.addRelativeTo(
    (next: FinalizeHandler<object, MetadataBearer>, context: HandlerExecutionContext) =>
      async (args: FinalizeHandlerArguments<object>) => {
        if (!enabled) return next(args);
        stats.calls++;
        const operation = context.commandName ?? 'unknown';
        const keys = `${operation} ${keysOf(args.input as Record<string, unknown>)}`;
        const attempt = (attempts.get(keys) ?? 0) + 1;
        attempts.set(keys, attempt);
        const dice = seededRng(options.seed, `${keys}#${attempt}`);
        const $metadata = { httpStatusCode: 400, attempts: attempt };
        if (dice() < options.throttle) {
          stats.throttled++;
          throw new ProvisionedThroughputExceededException({
            message: 'The level of configured provisioned throughput for the table was exceeded (injected).',
            $metadata,
          });
        }
        const transactItems = (args.input as { TransactItems?: unknown[] }).TransactItems;
        if (
          operation === 'TransactWriteItemsCommand' &&
          transactItems &&
          dice() < options.transactionConflict
        ) {
          stats.conflicts++;
          throw new TransactionCanceledException({
            message:
              'Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict] (injected)',
            $metadata,
            CancellationReasons: transactItems.map(() => ({
              Code: 'TransactionConflict',
              Message: 'Transaction is ongoing for the item',
            })),
          });
        }
        return next(args);
      },
    // After the SDK's retry middleware: an injected throttle is retried with the SDK's backoff, as a real one.
    { relation: 'after', toMiddleware: 'retryMiddleware', name: NAME, override: true },
  );
  return {
    stats,
    disable: () => {
      enabled = false;
    },
    enable: () => {
      enabled = true;
    },
    remove: () => {
      client.middlewareStack.remove(NAME);
    },
  };
}
