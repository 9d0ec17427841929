/**
 * AWS SDK clients, built once per container (module load) and shared by every use case in it. Endpoints come
 * from the environment (`AWS_ENDPOINT_URL_<SERVICE>`), so the same code talks to AWS or to the local engines.
 * Each is traced (an X-Ray subsegment per call) when tracing is on; locally the tracer is off and returns the
 * client as it is.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability';

// Fail fast instead of hanging for the SDK's defaults; the SDK's own retries use backoff with jitter.
const common = { maxAttempts: 4 } as const;

let dynamo: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;
let sns: SNSClient | undefined;
let s3: S3Client | undefined;
let sfn: SFNClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(common)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

export function sqsClient(): SQSClient {
  sqs ??= tracer.captureAWSv3Client(new SQSClient(common));
  return sqs;
}

export function snsClient(): SNSClient {
  sns ??= tracer.captureAWSv3Client(new SNSClient(common));
  return sns;
}

export function s3Client(): S3Client {
  // The local S3 engine has no per-bucket host names.
  s3 ??= tracer.captureAWSv3Client(
    new S3Client({ ...common, forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' }),
  );
  return s3;
}

export function sfnClient(): SFNClient {
  sfn ??= tracer.captureAWSv3Client(new SFNClient(common));
  return sfn;
}
