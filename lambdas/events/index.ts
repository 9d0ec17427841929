/** Domain events: types, derivation from the payments table's stream, and publication to the fan-out topic. */
export { deriveEvents, eventId, eventsOfChange, type ItemChange, itemChange } from './derive';
export { MalformedChangeError } from './errors';
export { type PublishEvent, type PublishOptions, publishChanges } from './publish';
export { EVENT_ID_ATTRIBUTE, EVENT_TYPE_ATTRIBUTE, snsPublisher } from './sns';
export * from './types';
