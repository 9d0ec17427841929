/**
 * The operators' audit trail (table `operator-audit`): one item per action, written with a conditional put
 * (never overwritten), newest first by time. Who (the operator's name as they gave it, and where from), when,
 * why (a reason is required), what (action and target) and how it ended.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';

export interface AuditContext {
  readonly db: DynamoDBDocumentClient;
  readonly table: string;
  readonly clock?: () => Date;
}

export interface AuditRecord {
  readonly audit_id: string;
  readonly at: string;
  readonly actor: string;
  readonly source_ip: string;
  readonly action: string;
  readonly target: string;
  readonly reason: string;
  readonly request_id: string;
  readonly outcome: Readonly<Record<string, unknown>>;
}

/** One partition: operator actions are few (a handful a day), and the trail is read newest first. */
const PARTITION = 'AUDIT';

export async function recordAudit(
  ctx: AuditContext,
  record: Omit<AuditRecord, 'audit_id' | 'at'>,
): Promise<AuditRecord> {
  const at = (ctx.clock ? ctx.clock() : new Date()).toISOString();
  const full: AuditRecord = { audit_id: `aud_${ulid()}`, at, ...record };
  await ctx.db.send(
    new PutCommand({
      TableName: ctx.table,
      Item: { pk: PARTITION, sk: `${at}#${full.audit_id}`, ...full },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return full;
}

export async function listAudit(ctx: AuditContext, limit: number): Promise<AuditRecord[]> {
  const out = await ctx.db.send(
    new QueryCommand({
      TableName: ctx.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PARTITION },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map(({ pk: _pk, sk: _sk, ...rest }) => rest as AuditRecord);
}
