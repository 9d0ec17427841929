/**
 * Which due-index shards have an order due now, read before the sweep fans out: the dispatcher sends a shard
 * worker only where there is work. An idle shard then costs one key read a minute (half a read unit) instead of
 * a queue message, a worker invocation and two lease writes; a busy shard is swept as before. A shard that
 * cannot be read is dispatched anyway: a missed sweep costs more than a wasted one.
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DUE_INDEX, dueQuery, SWEEP_SHARDS } from './keys';

export interface DueShardsRead {
  /** The shards to sweep: something due, or not readable. */
  readonly shards: number[];
  /** Shards that could not be read (dispatched anyway). */
  readonly unread: number;
}

export async function dueShards(
  db: DynamoDBDocumentClient,
  table: string,
  now: Date,
  shards = SWEEP_SHARDS,
): Promise<DueShardsRead> {
  let unread = 0;
  const due = await Promise.all(
    Array.from({ length: shards }, async (_, shard) => {
      try {
        const page = await db.send(
          new QueryCommand({
            TableName: table,
            IndexName: DUE_INDEX,
            ...dueQuery(shard, now),
            Limit: 1,
          }),
        );
        return (page.Items?.length ?? 0) > 0;
      } catch {
        unread++;
        return true;
      }
    }),
  );
  return { shards: due.flatMap((isDue, shard) => (isDue ? [shard] : [])), unread };
}
