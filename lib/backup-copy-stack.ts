/**
 * The second region's half of the money tables' backups: one vault (with its own KMS key) that AWS Backup
 * copies every daily recovery point into. A stack of its own because a stack lives in one region; deployed
 * before the payments stack (a stack dependency), and long-lived: it outlives re-creations of the payments
 * stack, which finds the vault by name (`backupCopyVaultName`). Retained when deleted, like the copies in it.
 */
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { BackupVault } from 'aws-cdk-lib/aws-backup';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

export interface BackupCopyStackProps extends StackProps {
  readonly service: string;
  readonly vaultName: string;
}

export class BackupCopyStack extends Stack {
  readonly vault: BackupVault;

  constructor(scope: Construct, id: string, props: BackupCopyStackProps) {
    super(scope, id, props);
    const key = new Key(this, 'VaultKey', {
      description: `${props.service}: encrypts the backup copies of the money tables`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vault = new BackupVault(this, 'Vault', {
      backupVaultName: props.vaultName,
      encryptionKey: key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
