/**
 * Creates the manifest's tables, queues, topics and buckets on the local engines, under physical names made
 * from a prefix (so several runtimes, e.g. parallel test files, can share one engine without seeing each other).
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Manifest, TableSpec } from '../lib/manifest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './engines/local-aws';

export interface PhysicalNames {
  readonly tables: Record<string, string>;
  readonly queues: Record<string, { url: string; arn: string }>;
  readonly buckets: Record<string, string>;
  readonly topics: Record<string, string>;
}

export function tableInput(spec: TableSpec, tableName: string): CreateTableCommandInput {
  const keys = [
    spec.partitionKey,
    spec.sortKey,
    ...(spec.globalIndexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  const attributes = new Map<string, 'S' | 'N'>();
  for (const key of keys) if (key) attributes.set(key.name, key.type);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: [
      { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
      ...(spec.sortKey ? [{ AttributeName: spec.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    ...(spec.globalIndexes?.length
      ? {
          GlobalSecondaryIndexes: spec.globalIndexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
              ...(index.sortKey ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }] : []),
            ],
            Projection: { ProjectionType: index.projection ?? 'ALL' },
          })),
        }
      : {}),
    ...(spec.stream
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' as const } }
      : {}),
  };
}

export async function createTables(
  endpoint: string,
  tables: readonly TableSpec[],
  nameOf: (id: string) => string,
): Promise<Record<string, string>> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const names: Record<string, string> = {};
  try {
    for (const spec of tables) {
      const name = nameOf(spec.id);
      try {
        await client.send(new CreateTableCommand(tableInput(spec, name)));
      } catch (error) {
        // A persisted local database already has its tables.
        if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
      }
      if (spec.ttlAttribute) {
        await client
          .send(
            new UpdateTimeToLiveCommand({
              TableName: name,
              TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
            }),
          )
          .catch(() => undefined); // already enabled on a persisted table
      }
      names[spec.id] = name;
    }
  } finally {
    client.destroy();
  }
  return names;
}

export async function provision(
  manifest: Manifest,
  endpoints: { dynamodb: string; messaging: string },
  prefix: string,
): Promise<PhysicalNames> {
  const nameOf = (id: string) => `${prefix}${id}`;
  const tables = await createTables(endpoints.dynamodb, manifest.tables, nameOf);

  const aws = { endpoint: endpoints.messaging, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient(aws);
  const sns = new SNSClient(aws);
  const s3 = new S3Client({ ...aws, forcePathStyle: true });
  try {
    const queues: PhysicalNames['queues'] = {};
    // Dead-letter queues first: a redrive policy names its target's ARN.
    const ordered = [...manifest.queues].sort(
      (a, b) => Number(Boolean(a.deadLetter)) - Number(Boolean(b.deadLetter)),
    );
    for (const spec of ordered) {
      const attributes: Record<string, string> = {
        VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String((spec.retentionDays ?? 4) * 86_400),
      };
      if (spec.deadLetter) {
        const dlq = queues[spec.deadLetter.queue];
        if (!dlq)
          throw new Error(`queue ${spec.id}: dead-letter queue ${spec.deadLetter.queue} is not declared`);
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: spec.deadLetter.maxReceiveCount,
        });
      }
      const created = await sqs.send(
        new CreateQueueCommand({ QueueName: nameOf(spec.id), Attributes: attributes }),
      );
      if (!created.QueueUrl) throw new Error(`queue ${spec.id} was not created`);
      // The engine names queues `http://sqs.<region>.localhost:<port>/...`, a host that does not resolve here;
      // the same path on the engine's own address is the same queue.
      const url = new URL(new URL(created.QueueUrl).pathname, endpoints.messaging).href;
      const described = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
      );
      queues[spec.id] = { url, arn: described.Attributes?.QueueArn ?? '' };
    }

    const topics: Record<string, string> = {};
    for (const spec of manifest.topics) {
      const created = await sns.send(new CreateTopicCommand({ Name: nameOf(spec.id) }));
      const arn = created.TopicArn;
      if (!arn) throw new Error(`topic ${spec.id} was not created`);
      for (const subscriber of spec.subscribers) {
        const queue = queues[subscriber];
        if (!queue) throw new Error(`topic ${spec.id}: subscriber ${subscriber} is not a declared queue`);
        await sns.send(
          new SubscribeCommand({
            TopicArn: arn,
            Protocol: 'sqs',
            Endpoint: queue.arn,
            Attributes: { RawMessageDelivery: 'true' },
          }),
        );
      }
      topics[spec.id] = arn;
    }

    const buckets: Record<string, string> = {};
    for (const spec of manifest.buckets) {
      const name = nameOf(spec.id);
      try {
        await s3.send(new CreateBucketCommand({ Bucket: name }));
      } catch (error) {
        const code = (error as { name?: string }).name;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
      }
      buckets[spec.id] = name;
    }
    return { tables, queues, buckets, topics };
  } finally {
    sqs.destroy();
    sns.destroy();
    s3.destroy();
  }
}
