/**
 * The CDK app (see lib/app.ts and docs/deploy.md). Context (`cdk synth -c key=value`): `stage` (dev | prod),
 * `alarmEmail` (required), `storefrontSuccessUrl` and `storefrontCancelUrl` (required), `backupCopyRegion`
 * (required on prod), `payeeApiBase` (required on prod), `stackName`, `apiStageName`, `runbookBaseUrl`, `alarmThresholds` (JSON),
 * `backupRetentionDays`, `wafRateLimitPer5Minutes`, `lambdaConcurrencyQuota`. Runs offline: functions are
 * bundled by the local esbuild (never Docker).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../lib/app';
import { manifest } from '../lib/manifest';

buildApp(manifest, resolve(dirname(fileURLToPath(import.meta.url)), '..'));
