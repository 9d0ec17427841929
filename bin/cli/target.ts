/**
 * Where the CLI points: the local sandbox by default (`PORT`/`PSP_PORT`, the local operator key), or a deployed
 * stack given its outputs (`cdk deploy --outputs-file outputs.json`): the API URL from `ApiUrl` and the operator
 * key from the `OperatorApiKeySecretArn` secret, read with the caller's AWS credentials.
 */
import { readFileSync } from 'node:fs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface Target {
  readonly kind: 'sandbox' | 'stack';
  /** Base URL of the API (no trailing slash). */
  readonly api: string;
  /** The PSP simulator's URL (sandbox only). */
  readonly psp?: string;
  readonly operatorKey: string;
  /** The storefront key (sandbox only: the demo's scenarios submit checkouts). */
  readonly storefrontKey?: string;
  /** A deployed stack's settlements bucket (`SettlementsBucketName`); the sandbox tells its own (/_sandbox/info). */
  readonly settlementsBucket?: string;
}

export interface TargetFlags {
  readonly api?: string;
  readonly psp?: string;
  readonly outputs?: string;
  readonly stack?: string;
  readonly operatorKey?: string;
}

const trim = (url: string) => url.replace(/\/+$/, '');

export async function resolveTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Target> {
  if (flags.outputs) {
    const all = JSON.parse(readFileSync(flags.outputs, 'utf8')) as Record<string, Record<string, string>>;
    const stackName = flags.stack ?? Object.keys(all)[0];
    const outputs = stackName ? all[stackName] : undefined;
    if (!outputs?.ApiUrl || !outputs.OperatorApiKeySecretArn) {
      throw new Error(
        `${flags.outputs}: stack ${stackName ?? '?'} has no ApiUrl / OperatorApiKeySecretArn output`,
      );
    }
    const key =
      flags.operatorKey ??
      (
        await new SecretsManagerClient({}).send(
          new GetSecretValueCommand({ SecretId: outputs.OperatorApiKeySecretArn }),
        )
      ).SecretString;
    if (!key) throw new Error('the operator key secret has no value (put one: see README, operator console)');
    return {
      kind: 'stack',
      api: trim(outputs.ApiUrl),
      operatorKey: key,
      ...(outputs.SettlementsBucketName ? { settlementsBucket: outputs.SettlementsBucketName } : {}),
    };
  }
  return {
    kind: 'sandbox',
    api: trim(flags.api ?? env.PAYMENTS_API_URL ?? `http://127.0.0.1:${env.PORT ?? 3000}`),
    psp: trim(flags.psp ?? env.PAYMENTS_PSP_URL ?? `http://127.0.0.1:${env.PSP_PORT ?? 12111}`),
    operatorKey: flags.operatorKey ?? env.OPERATOR_API_KEY ?? 'local-operator-key',
    storefrontKey: env.API_KEY ?? 'local-storefront-key',
  };
}
