/**
 * The operator routes' authorization decision, made here and not by API Gateway: API Gateway accepts any of a
 * stage's API keys on any keyed route, so it cannot keep the storefront's key off these routes. The caller's
 * `x-api-key` must equal the `operator-api-key` secret (compared in constant time, as digests).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError } from '../api/errors';
import { header } from '../api/http';
import { OperatorErrorCode } from './errors';

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function isOperatorKey(presented: string | undefined, operatorKey: string): boolean {
  if (!presented || operatorKey.length < 8) return false;
  return timingSafeEqual(digest(presented), digest(operatorKey));
}

/** Throws a 401 unless the request carries the operator's key. */
export function authorizeOperator(event: Pick<APIGatewayProxyEvent, 'headers'>, operatorKey: string): void {
  if (!isOperatorKey(header(event, 'x-api-key'), operatorKey)) {
    throw new ApiError(401, OperatorErrorCode.OperatorKeyRequired, "this route takes the operator's API key");
  }
}
