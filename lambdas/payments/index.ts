/**
 * The pay-in's public surface, for the handlers and for other areas (refunds, payouts, reconciliation, operator
 * tools). Each component lives in its own file, named for it:
 *   checkouts.ts          the checkouts store (the payment event, its hosted page, risk decision, completion)
 *   order-transitions.ts  reading orders and moving them forward (one conditional write each)
 *   history-projection.ts appending each move to the order's history, from the table's stream
 *   record-success.ts     the money-moving success (order + ledger + wallet in one transaction)
 *   due-index.ts          the sweeper's index of orders whose deadline passed
 *   apply-payment.ts      applying a PSP fact to an order (executor, webhook and sweeper alike)
 *   risk-gate.ts          the risk decision, once per checkout, before money moves
 *   executor.ts           charging one card-mode order
 *   hosted-page.ts        applying a hosted page's result
 *   sweeper.ts            driving overdue orders forward
 *   cancel.ts             canceling a checkout (hosted page expired, open intents canceled, unpaid orders FAILED)
 */
export * from './apply-payment';
export * from './cancel';
export * from './checkouts';
export * from './context';
export * from './due-index';
export * from './errors';
export * from './executor';
export * from './history-projection';
export * from './hosted-page';
export * from './model';
export * from './order-transitions';
export * from './record-success';
export * from './risk-gate';
export * from './submit';
export * from './sweeper';
export * from './timing';
