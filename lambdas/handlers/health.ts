/** GET /v1/health: proves the API routes to a function; touches no other resource. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { instrumented } from '../shared/observability';

const SERVICE = process.env.SERVICE_NAME ?? 'marketplace-payments';

async function handle(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      status: 'ok',
      service: SERVICE,
      request_id: event.requestContext.requestId,
      time: new Date().toISOString(),
    }),
  };
}

export const handler = instrumented(handle);
