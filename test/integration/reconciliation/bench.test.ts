/**
 * The reconciliation benchmark at a small size (npm run bench:recon runs it at 1M rows): a generated Stripe
 * file against DynamoDB Local records holding its payments reconciles with every row matched and no break.
 */
import { expect, it } from 'vitest';
import { runBench } from '../../../bench/recon.bench';
import { engineEndpoints } from '../../support/engines';

it('reconciles a generated 1,000-row file, every row matched, the payout checked', async () => {
  const result = await runBench({ rows: 1_000, dynamodbEndpoint: engineEndpoints().dynamodb, quiet: true });
  expect(result.rows).toBe(1_000);
  expect(result.outcome.counts.get('matched')?.count).toBe(1_000);
  expect(result.outcome.breaks).toEqual([]);
  expect(result.outcome.settlements).toHaveLength(1);
  expect(result.parseRowsPerSecond).toBeGreaterThan(0);
  expect(result.reconcileRowsPerSecond).toBeGreaterThan(0);
});
