/** HTTP plumbing shared by the API handlers: headers read case-insensitively, JSON answers, error answers. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ApiError, errorBody } from './errors';

export type HttpResponse = APIGatewayProxyResult & { headers: Record<string, string> };

/** A header's value whatever its case (API Gateway keeps the client's spelling). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(error: ApiError, requestId: string): HttpResponse {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  return jsonResponse(error.statusCode, errorBody(error, requestId), headers);
}

/** The id API Gateway gave the request (also in its `x-amzn-requestid` answer header). */
export function requestIdOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string {
  return event.requestContext?.requestId ?? 'unknown';
}
