/**
 * Domain events on the fan-out topic: the envelope as the message body, the type and id as message
 * attributes (so a subscription can filter on the type, and a receiver can deduplicate before parsing).
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PublishEvent } from './publish';

export const EVENT_TYPE_ATTRIBUTE = 'event_type';
export const EVENT_ID_ATTRIBUTE = 'event_id';

export function snsPublisher(sns: SNSClient, topicArn: string): PublishEvent {
  return async (event) => {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: JSON.stringify(event),
        MessageAttributes: {
          [EVENT_TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: event.type },
          [EVENT_ID_ATTRIBUTE]: { DataType: 'String', StringValue: event.id },
        },
      }),
    );
  };
}
