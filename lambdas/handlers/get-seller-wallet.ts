/**
 * The wallets table's reads, one function for two routes (it dispatches on the route; a route it does not serve
 * is a 404): GET /v1/sellers/{seller_account}/wallet, balances with what is payable and why not
 * (lambdas/payouts/api.ts); GET /v1/buyers/{buyer_id}/totals, what a buyer paid per currency net of refunds
 * and disputes lost (lambdas/refunds/buyer-totals.ts).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ApiError, ApiErrorCode } from '../api/errors';
import { jsonResponse } from '../api/http';
import { httpErrors } from '../api/middleware';
import { pathId } from '../api/validation';
import { walletWithPayability } from '../payouts/read-api';
import { payoutsContext } from '../payouts/table-wiring';
import { buyerTotals } from '../refunds/buyer-totals';
import { documentClient } from '../shared/aws-clients';
import { resource } from '../shared/config';
import { instrumented } from '../shared/observability';

const logger = new Logger();
const ctx = payoutsContext();
const buyers = {
  db: documentClient(),
  tables: { payments: '', wallets: resource('table', 'wallets') },
};

const handle = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpErrors(logger))
  .handler(async (event) => {
    const route = `${event.httpMethod} ${event.resource}`;
    if (route === 'GET /v1/buyers/{buyer_id}/totals')
      return jsonResponse(200, await buyerTotals(buyers, pathId(event, 'buyer_id')));
    if (route === 'GET /v1/sellers/{seller_account}/wallet')
      return jsonResponse(200, await walletWithPayability(ctx, pathId(event, 'seller_account')));
    throw new ApiError(404, ApiErrorCode.NotFound, `route ${route} not found`);
  });

export const handler = instrumented(handle);
