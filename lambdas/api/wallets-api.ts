/** GET /v1/sellers/{seller_account}/wallet: a seller's balances per currency, as decimal strings. */
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type LedgerContext, walletBalances } from '../ledger';
import { formatAmount } from '../money';
import { jsonResponse } from './http';
import { httpErrors } from './middleware';
import { pathId } from './schemas';

export function getWalletHandler(deps: { ledger: LedgerContext; logger: Logger }) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(httpErrors(deps.logger))
    .handler(async (event) => {
      const sellerAccount = pathId(event, 'seller_account');
      const balances = await walletBalances(deps.ledger, sellerAccount);
      return jsonResponse(200, {
        seller_account: sellerAccount,
        // A seller with no sales yet has no wallet items: an empty list, not a 404.
        balances: balances.map((b) => ({
          currency: b.currency,
          available: formatAmount(b.available),
          reserved: formatAmount(b.reserved),
          paid_out: formatAmount(b.paidOut),
          receivable: formatAmount(b.receivable),
          dispute_held: formatAmount(b.disputeHeld),
        })),
      });
    });
}
