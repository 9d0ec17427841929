/**
 * The CDK app: one PaymentsStack from the manifest, checked by cdk-nag's AwsSolutions pack at synth time.
 * Runs offline: with no AWS credentials the environment falls back to CDK_DEFAULT_* and then to placeholders,
 * and functions are bundled by the local esbuild (never Docker).
 *
 * Context (`cdk synth -c key=value`): `stackName` (default MarketplacePayments), `ephemeral=true` (a throwaway
 * stack: data is destroyed with it), `alarmEmail`, `apiStageName` (default prod).
 *
 * Secrets are created empty; after the first deploy an operator puts each value:
 *   aws secretsmanager put-secret-value --secret-id <StackName>/stripe-api-key --secret-string sk_live_...
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { manifest } from '../lib/manifest';
import { PaymentsStack } from '../lib/payments-stack';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

const alarmEmail = context('alarmEmail');
new PaymentsStack(app, context('stackName') ?? 'MarketplacePayments', {
  manifest,
  projectRoot,
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? '000000000000',
    region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
  },
  ephemeral: context('ephemeral') === 'true',
  apiStageName: context('apiStageName') ?? 'prod',
  ...(alarmEmail ? { alarmEmail } : {}),
  description: `${manifest.service}: pay-in, pay-out, ledger, wallets, reconciliation`,
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
