/**
 * Reading a JSON request body at the edge, in the order that keeps card data out: size, content type, a scan of
 * the raw text for card numbers (before any parsing, so nothing downstream ever holds one), JSON parsing, then a
 * scan of the parsed keys and values (which catches escaped digits). Every refusal is an ApiError that never
 * repeats the body.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { containsCardData, containsCardNumber } from './card-data';
import { ApiError, ApiErrorCode } from './errors';
import { header } from './http';

export const MAX_BODY_BYTES = 64 * 1024;

export function cardDataError(): ApiError {
  return new ApiError(
    400,
    ApiErrorCode.CardDataNotAllowed,
    'the request looks like it contains card data; send the PSP token (e.g. pm_...) in credit_card_info instead',
  );
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const [type = '', ...params] = value.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  // JSON is UTF-8 (RFC 8259); another declared charset would be read wrongly.
  return params.every((param) => !param.startsWith('charset=') || /^charset="?utf-8"?$/.test(param));
}

/**
 * Whether the request's path, path parameters, query string or headers (names and values) hold a card number.
 * The body is read by readJsonBody, on the routes that take one.
 */
export function requestCarriesCardData(
  event: Pick<
    APIGatewayProxyEvent,
    'path' | 'pathParameters' | 'queryStringParameters' | 'multiValueQueryStringParameters' | 'headers'
  > &
    Partial<Pick<APIGatewayProxyEvent, 'multiValueHeaders'>>,
): boolean {
  if (typeof event.path === 'string' && containsCardNumber(event.path)) return true;
  return [
    event.pathParameters,
    event.queryStringParameters,
    event.multiValueQueryStringParameters,
    event.headers,
    event.multiValueHeaders,
  ].some((part) => part != null && containsCardData(part, { fieldNames: false }));
}

/** The body as parsed JSON, or the ApiError that says why it is not acceptable. */
export function readJsonBody(
  event: Pick<APIGatewayProxyEvent, 'body' | 'headers' | 'isBase64Encoded'>,
  maxBytes = MAX_BODY_BYTES,
): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new ApiError(413, ApiErrorCode.BodyTooLarge, `the body must be at most ${maxBytes} bytes`, {
      max_bytes: maxBytes,
      bytes,
    });
  }
  if (!isJsonContentType(header(event, 'content-type'))) {
    throw new ApiError(415, ApiErrorCode.UnsupportedMediaType, 'the body must be application/json (UTF-8)');
  }
  if (containsCardNumber(text)) throw cardDataError();
  if (text.trim() === '') throw new ApiError(400, ApiErrorCode.InvalidJson, 'the body is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error: not repeated.
    throw new ApiError(400, ApiErrorCode.InvalidJson, 'the body is not valid JSON');
  }
  if (containsCardData(parsed)) throw cardDataError();
  return parsed;
}
