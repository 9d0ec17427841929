/**
 * Synthesizes a PaymentsStack the way `cdk synth` does (same cdk.json context), for template assertions.
 * Bundling is skipped unless asked for (context `aws:cdk:bundling-stacks` = []): assertions only read the
 * template, and esbuild once per function would make the suite slow as the manifest grows.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type DeploymentConfig, readDeploymentConfig } from '../../lib/config';
import type { Manifest } from '../../lib/manifest';
import { PaymentsStack, type PaymentsStackProps } from '../../lib/payments-stack';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const cdkContext = (
  JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context: object }
).context;

export interface Synthesized {
  readonly app: App;
  readonly stack: PaymentsStack;
  readonly template: Template;
  readonly config: DeploymentConfig;
}

export interface SynthOptions {
  readonly bundle?: boolean;
  readonly outdir?: string;
  readonly stack?: Partial<PaymentsStackProps>;
  /** Context values, as `-c key=value` would give them (defaults: `testContext`). */
  readonly context?: Record<string, string>;
}

/** A production deployment's context, as docs/deploy.md gives it. */
export const testContext: Readonly<Record<string, string>> = {
  stage: 'prod',
  stackName: 'Payments',
  alarmEmail: 'payments-oncall@marketplace.test',
  storefrontSuccessUrl: 'https://shop.marketplace.test/checkout/{CHECKOUT_ID}/done',
  storefrontCancelUrl: 'https://shop.marketplace.test/checkout/{CHECKOUT_ID}/cancelled',
  backupCopyRegion: 'eu-central-1',
  apiStageName: 'prod',
  payeeApiBase: 'https://api.payee-network.test/payee',
};

export function testConfig(context: Record<string, string> = {}): DeploymentConfig {
  const merged: Record<string, string> = { ...testContext, ...context };
  return readDeploymentConfig((key) => merged[key]);
}

export function synth(manifest: Manifest, options: SynthOptions = {}): Synthesized {
  const app = new App({
    context: { ...cdkContext, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const config = testConfig(options.context);
  const stack = new PaymentsStack(app, 'Payments', {
    manifest,
    projectRoot,
    env: { account: '123456789012', region: 'eu-west-1' },
    config,
    ...options.stack,
  });
  return { app, stack, template: Template.fromStack(stack), config };
}
