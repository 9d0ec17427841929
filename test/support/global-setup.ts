/** Starts the local engines once for the whole integration run and stops them (and their children) after it. */
import type { TestProject } from 'vitest/node';
import { startDynamoDb } from '../../sandbox/engines/dynamodb';
import { startMessaging } from '../../sandbox/engines/fauxqs';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    messagingEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamo, messaging] = await Promise.all([startDynamoDb(), startMessaging()]);
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('messagingEndpoint', messaging.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), messaging.stop()]);
  };
}
