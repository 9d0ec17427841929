/** GET /v1/sellers/{seller_account}/wallet: balances with what is payable and why not (lambdas/payouts/api.ts). */
import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { jsonResponse } from '../api/http';
import { httpErrors } from '../api/middleware';
import { pathId } from '../api/schemas';
import { walletWithPayability } from '../payouts/api';
import { payoutsContext } from '../payouts/wiring';
import { instrumented } from '../shared/observability';

const logger = new Logger();
const ctx = payoutsContext();

const handle = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(httpErrors(logger))
  .handler(async (event) =>
    jsonResponse(200, await walletWithPayability(ctx, pathId(event, 'seller_account'))),
  );

export const handler = instrumented(handle);
