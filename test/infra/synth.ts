/**
 * Synthesizes a PaymentsStack the way `cdk synth` does (same cdk.json context), for template assertions.
 * Bundling is skipped unless asked for (context `aws:cdk:bundling-stacks` = []): assertions only read the
 * template, and esbuild once per function would make the suite slow as the manifest grows.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type CfnElement } from 'aws-cdk-lib';
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
  /**
   * The alarms and the dashboard (a nested stack, lib/constructs/operations.ts), each of its parameters
   * replaced by the value the payments stack passes in: an alarm names `{ Ref: <function's logical id> }` as
   * it would in one template, so assertions can say which resource it watches.
   */
  readonly operations: Template;
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
  const template = Template.fromStack(stack);
  return { app, stack, template, operations: operationsTemplate(stack, template), config };
}

type JsonValue = unknown;

/** The nested operations template with every `{ Ref: <parameter> }` replaced by what the parent passes in. */
export function operationsTemplate(stack: PaymentsStack, parent: Template): Template {
  const nested = stack.operations;
  const resourceId = stack.getLogicalId(nested.nestedStackResource as CfnElement);
  const parentResources = (parent.toJSON() as { Resources: Record<string, { Properties?: JsonValue }> })
    .Resources;
  const passed = (
    (parentResources[resourceId]?.Properties ?? {}) as { Parameters?: Record<string, JsonValue> }
  ).Parameters;
  if (!passed) throw new Error(`the payments stack passes no parameters to ${resourceId}`);
  const substitute = (value: JsonValue): JsonValue => {
    if (Array.isArray(value)) return value.map(substitute);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, JsonValue>);
    const [only] = entries;
    if (entries.length === 1 && only?.[0] === 'Ref' && typeof only[1] === 'string' && only[1] in passed) {
      return passed[only[1]];
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, substitute(v)]));
  };
  const json = Template.fromStack(nested).toJSON() as { Resources: JsonValue };
  return Template.fromJSON({ ...json, Resources: substitute(json.Resources) } as Record<string, unknown>);
}
