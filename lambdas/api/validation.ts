/**
 * What every route checks without a schema library: ids in paths, and the 400 answer listing the fields at
 * fault. Apart from ./schemas.ts (zod, for request bodies), so that the functions that only read load no zod.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { containsCardNumber } from './card-data';
import { ApiError, ApiErrorCode } from './errors';
import { cardDataError } from './request';

/** Ids go inside DynamoDB keys and PSP metadata: the ledger's seller ids follow the same rule. */
export const ID_PATTERN = /^[A-Za-z0-9_.@+-]{1,128}$/;
export const ID_RULE = 'must be 1-128 characters of A-Z a-z 0-9 _ . @ + -, and not "." or ".."';

/**
 * Whether a string is an id we accept: the pattern, and not a dot segment: `/v1/payments/..` is the parent
 * path to every HTTP client (and `%2e%2e` decodes to it), so such an id could be stored but never read back.
 */
export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value) && value !== '.' && value !== '..';
}

export interface FieldIssue {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/** `['payment_orders', 0, 'amount']` is `payment_orders[0].amount`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(body)' : out;
}

const MAX_ISSUES = 20;

export function validationError(issues: readonly FieldIssue[]): ApiError {
  return new ApiError(400, ApiErrorCode.ValidationError, 'the request is not valid', {
    fields: issues.slice(0, MAX_ISSUES),
  });
}

export function pathId(event: Pick<APIGatewayProxyEvent, 'pathParameters'>, name: string): string {
  const value = event.pathParameters?.[name];
  if (value !== undefined && containsCardNumber(value)) throw cardDataError();
  if (value === undefined || !isValidId(value)) {
    throw validationError([{ field: name, code: 'invalid_format', message: ID_RULE }]);
  }
  return value;
}
