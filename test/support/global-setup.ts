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
  const [dynamoStart, messagingStart] = await Promise.allSettled([startDynamoDb(), startMessaging()]);
  if (dynamoStart.status === 'rejected' || messagingStart.status === 'rejected') {
    // Stop whichever started, so no Java outlives a failed setup.
    if (dynamoStart.status === 'fulfilled') await dynamoStart.value.stop();
    if (messagingStart.status === 'fulfilled') await messagingStart.value.stop();
    throw dynamoStart.status === 'rejected'
      ? dynamoStart.reason
      : (messagingStart as PromiseRejectedResult).reason;
  }
  const dynamo = dynamoStart.value;
  const messaging = messagingStart.value;
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('messagingEndpoint', messaging.endpoint);
  return async () => {
    await Promise.all([dynamo.stop(), messaging.stop()]);
  };
}
