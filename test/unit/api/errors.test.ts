import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { ExecutionLimitExceeded, SFNServiceException } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { ApiError, errorBody, toApiError } from '../../../lambdas/api/errors';
import { errorResponse } from '../../../lambdas/api/http';
import {
  ConflictingTransactionError,
  InsufficientFundsError,
  LedgerContentionError,
  LedgerIntegrityError,
} from '../../../lambdas/ledger/errors';
import { MoneyError } from '../../../lambdas/money/errors';
import { PaymentError } from '../../../lambdas/payments/errors';
import { PspPermanentError, PspTransientError } from '../../../lambdas/psp/errors';

const SECRET = 'internal-detail-sk_live_123';

describe('toApiError', () => {
  it.each([
    [
      new MoneyError('amount_too_many_decimals', 'USD allows 2', { amount: '1.234' }),
      400,
      'amount_too_many_decimals',
    ],
    [new MoneyError('unknown_currency', 'unknown currency: XYZ'), 400, 'unknown_currency'],
    [new PaymentError('checkout_conflict', 'exists'), 409, 'checkout_conflict'],
    [new PaymentError('payment_order_conflict', 'used'), 409, 'payment_order_conflict'],
    [new PaymentError('not_found', 'none'), 404, 'not_found'],
    [new PaymentError('contention', SECRET), 503, 'service_unavailable'],
    [new ConflictingTransactionError('tx_1'), 409, 'ledger_conflicting_transaction'],
    [new InsufficientFundsError('s', 'USD', 'available', 5n, 1n), 409, 'ledger_insufficient_funds'],
    [new LedgerContentionError(SECRET), 503, 'service_unavailable'],
    [new LedgerIntegrityError(SECRET), 500, 'internal_error'],
    [new PspTransientError(SECRET), 503, 'psp_unavailable'],
    [new PspPermanentError(SECRET, 'resource_missing'), 502, 'psp_error'],
    [
      new TransactionCanceledException({ message: SECRET, $metadata: {}, CancellationReasons: [] }),
      503,
      'service_unavailable',
    ],
    [
      new ProvisionedThroughputExceededException({ message: SECRET, $metadata: {} }),
      503,
      'service_unavailable',
    ],
    [new ThrottlingException({ message: SECRET, $metadata: {} }), 503, 'service_unavailable'],
    [new InternalServerError({ message: SECRET, $metadata: {} }), 503, 'service_unavailable'],
    // Wrapped by a domain error: the cause decides.
    [
      new Error(SECRET, {
        cause: new ProvisionedThroughputExceededException({ message: SECRET, $metadata: {} }),
      }),
      503,
      'service_unavailable',
    ],
    // Another AWS client's error that says it is the service's fault.
    [
      new SFNServiceException({
        name: 'ServiceUnavailable',
        $fault: 'server',
        $metadata: {},
        message: SECRET,
      }),
      503,
      'service_unavailable',
    ],
    // ... and one that is ours (a limit we hit, a client fault, not retryable): a 500.
    [new ExecutionLimitExceeded({ message: SECRET, $metadata: {} }), 500, 'internal_error'],
    [new Error(SECRET), 500, 'internal_error'],
    ['a string', 500, 'internal_error'],
    [undefined, 500, 'internal_error'],
  ])('maps %s to %i %s', (error, status, code) => {
    // Act
    const mapped = toApiError(error);

    // Assess
    expect(mapped.statusCode).toBe(status);
    expect(mapped.code).toBe(code);
    expect(mapped.expose).toBe(status < 500);
    if (status >= 500) expect(JSON.stringify(errorBody(mapped, 'req-1'))).not.toContain(SECRET);
  });

  it('maps by type, not by name: an Error named like a domain error is still a 500', () => {
    // Prepare
    const impostor = Object.assign(new Error('x'), { name: 'PaymentError', code: 'not_found' });

    // Act + Assess
    expect(toApiError(impostor).statusCode).toBe(500);
  });

  it('keeps an ApiError as it is, and the cause of a mapped error', () => {
    // Prepare
    const api = new ApiError(400, 'too_many_orders', 'at most 40');
    const cause = new PspTransientError('timeout');

    // Act + Assess
    expect(toApiError(api)).toBe(api);
    expect(toApiError(cause).cause).toBe(cause);
  });
});

describe('error answers', () => {
  it('carry code, message, details and request id for a client error', () => {
    // Prepare
    const error = new ApiError(400, 'validation_error', 'the request is not valid', {
      fields: [{ field: 'checkout_id', code: 'invalid_type', message: 'expected string' }],
    });

    // Act
    const response = errorResponse(error, 'req-1');

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({
      error: {
        code: 'validation_error',
        message: 'the request is not valid',
        details: { fields: [{ field: 'checkout_id', code: 'invalid_type', message: 'expected string' }] },
        request_id: 'req-1',
      },
    });
  });

  it('never carry the details of a server error, and say when to retry a 503', () => {
    // Prepare
    const error = new ApiError(503, 'psp_unavailable', 'retry', { secret: SECRET }, { retryAfterSeconds: 2 });

    // Act
    const response = errorResponse(error, 'req-2');

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('2');
    expect(response.body).not.toContain(SECRET);
    expect(JSON.parse(response.body).error).toEqual({
      code: 'psp_unavailable',
      message: 'retry',
      request_id: 'req-2',
    });
  });
});
