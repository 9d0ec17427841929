/**
 * Builds the CDK app from context: the payments stack (and, with a backup copy region, the stack holding the
 * copy vault there), checked by cdk-nag's AwsSolutions and Serverless packs at synth. Environment-agnostic
 * unless CDK_DEFAULT_ACCOUNT/REGION are set (by the CLI from credentials): a template synthesized without
 * credentials names no account and no region and deploys to any.
 */
import { App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { BackupCopyStack } from './backup-copy-stack';
import { readDeploymentConfig } from './config';
import type { Manifest } from './manifest';
import { backupCopyVaultName, PaymentsStack } from './payments-stack';

export interface BuiltApp {
  readonly app: App;
  readonly payments: PaymentsStack;
  readonly backupCopy?: BackupCopyStack;
}

export function buildApp(
  manifest: Manifest,
  projectRoot: string,
  app: App = new App(),
  environment: NodeJS.ProcessEnv = process.env,
): BuiltApp {
  const config = readDeploymentConfig((key) => app.node.tryGetContext(key));
  const account = environment.CDK_DEFAULT_ACCOUNT;
  const region = environment.CDK_DEFAULT_REGION;
  const env: Environment = { ...(account ? { account } : {}), ...(region ? { region } : {}) };

  let backupCopy: BackupCopyStack | undefined;
  if (config.backupCopyRegion) {
    backupCopy = new BackupCopyStack(app, `${config.stackName}-BackupCopy`, {
      ...(account
        ? { env: { account, region: config.backupCopyRegion } }
        : { env: { region: config.backupCopyRegion } }),
      service: manifest.service,
      vaultName: backupCopyVaultName(config.stackName),
      description: `${manifest.service}: backup copy vault of the money tables (${config.stage})`,
    });
  }
  const payments = new PaymentsStack(app, config.stackName, {
    manifest,
    projectRoot,
    config,
    ...(account || region ? { env } : {}),
    description: `${manifest.service} (${config.stage}): pay-in, pay-out, ledger, wallets, reconciliation`,
  });
  if (backupCopy) payments.addStackDependency(backupCopy);

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, payments, ...(backupCopy ? { backupCopy } : {}) };
}
