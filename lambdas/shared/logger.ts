/** One structured logger per container (Powertools): JSON lines with the service name and request ids. */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'marketplace-payments',
});
