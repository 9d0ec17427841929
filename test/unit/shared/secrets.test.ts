/**
 * Issue 8.7: secrets read through Powertools Parameters with a max age, and the previous webhook signing
 * secret accepted only while its rotation is young. Secrets Manager is mocked (aws-sdk-client-mock): the
 * point is the cache and the stages, which no local engine stands in for.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SecretReader, SecretsManagerStagesProvider } from '../../../lambdas/shared/secrets';
import { envVarFor } from '../../../lib/manifest/naming';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:whsec-abc';
const HOUR = 3_600_000;
let sm: ReturnType<typeof mockClient>;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-12-02T10:00:00Z'));
  process.env[envVarFor('secret', 'stripe-webhook-secret')] = ARN;
  sm = mockClient(SecretsManagerClient);
});
afterEach(() => {
  vi.useRealTimers();
  sm.restore();
  delete process.env[envVarFor('secret', 'stripe-webhook-secret')];
});

function reader(maxAgeSeconds = 300, rotationWindowHours = 24) {
  const provider = new SecretsManagerStagesProvider(new SecretsManagerClient({ region: 'eu-west-1' }));
  return new SecretReader(() => provider, { maxAgeSeconds, rotationWindowHours });
}

function stage(stageName: string, value: string, created: Date) {
  sm.on(GetSecretValueCommand, { SecretId: ARN, VersionStage: stageName }).resolves({
    SecretString: value,
    CreatedDate: created,
  });
}

describe('max age', () => {
  it('serves the cached value until it is older than the max age, then the rotated one', async () => {
    const secrets = reader(300);
    stage('AWSCURRENT', 'whsec_old', new Date('2026-11-01T00:00:00Z'));
    expect(await secrets.current('stripe-webhook-secret')).toBe('whsec_old');
    stage('AWSCURRENT', 'whsec_new', new Date());
    vi.advanceTimersByTime(299_000);
    expect(await secrets.current('stripe-webhook-secret')).toBe('whsec_old');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    vi.setSystemTime(Date.now() + 2_000);
    expect(await secrets.current('stripe-webhook-secret')).toBe('whsec_new');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('a failed read is not cached: the next call asks again', async () => {
    const secrets = reader(300);
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: 'whsec_x' });
    await expect(secrets.current('stripe-webhook-secret')).rejects.toThrow(/throttled/);
    expect(await secrets.current('stripe-webhook-secret')).toBe('whsec_x');
  });
});

describe('signing secrets in force during a rotation', () => {
  it('the previous secret is accepted while the rotation is younger than the window, then no more', async () => {
    const rotatedAt = new Date();
    stage('AWSCURRENT', 'whsec_new', rotatedAt);
    stage('AWSPREVIOUS', 'whsec_old', new Date('2026-01-01T00:00:00Z'));
    expect(await reader(0, 24).inForce('stripe-webhook-secret')).toEqual(['whsec_new', 'whsec_old']);
    vi.setSystemTime(rotatedAt.getTime() + 24 * HOUR + 1_000);
    expect(await reader(0, 24).inForce('stripe-webhook-secret')).toEqual(['whsec_new']);
  });

  it('a secret never rotated has no AWSPREVIOUS: only the current one, and the miss is cached too', async () => {
    stage('AWSCURRENT', 'whsec_only', new Date());
    sm.on(GetSecretValueCommand, { SecretId: ARN, VersionStage: 'AWSPREVIOUS' }).rejects(
      new ResourceNotFoundException({ message: "can't find AWSPREVIOUS", $metadata: {} }),
    );
    const secrets = reader(300);
    expect(await secrets.inForce('stripe-webhook-secret')).toEqual(['whsec_only']);
    expect(await secrets.inForce('stripe-webhook-secret')).toEqual(['whsec_only']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('a window of 0 accepts only the current secret', async () => {
    stage('AWSCURRENT', 'whsec_new', new Date());
    stage('AWSPREVIOUS', 'whsec_old', new Date('2026-01-01T00:00:00Z'));
    expect(await reader(300, 0).inForce('stripe-webhook-secret')).toEqual(['whsec_new']);
  });
});
