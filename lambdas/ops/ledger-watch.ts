/**
 * Watches the ledger's immutability. Entries are written once (`attribute_not_exists`) and IAM grants no update
 * or delete, but IAM cannot require the condition on PutItem, so a bug or a hand-run command could still
 * overwrite or remove an item: the ledger's stream shows it as MODIFY or REMOVE. This module picks those out
 * of a batch, describing each by its keys only (never the images: they hold amounts and accounts).
 */
import type { DynamoDBRecord } from 'aws-lambda';

export interface LedgerViolation {
  readonly eventName: 'MODIFY' | 'REMOVE';
  /** The item's key attributes as strings (pk, sk). */
  readonly keys: Readonly<Record<string, string>>;
  readonly sequenceNumber: string;
  /** Who removed it, when DynamoDB says (TTL deletions carry the service principal). */
  readonly principal?: string;
}

/** Every MODIFY or REMOVE in the batch; an INSERT is the only change a ledger item may see. */
export function ledgerViolations(records: readonly DynamoDBRecord[]): LedgerViolation[] {
  const violations: LedgerViolation[] = [];
  for (const record of records) {
    if (record.eventName !== 'MODIFY' && record.eventName !== 'REMOVE') continue;
    const keys: Record<string, string> = {};
    for (const [name, value] of Object.entries(record.dynamodb?.Keys ?? {})) {
      keys[name] = value.S ?? value.N ?? '(binary)';
    }
    violations.push({
      eventName: record.eventName,
      keys,
      sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
      ...(record.userIdentity?.principalId ? { principal: String(record.userIdentity.principalId) } : {}),
    });
  }
  return violations;
}
