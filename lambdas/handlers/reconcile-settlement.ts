/**
 * S3 object created under the settlements prefix -> reconciliation of that file (lambdas/reconciliation/run.ts).
 * S3 invokes asynchronously: a thrown error is retried twice, then the event goes to the on-failure queue
 * (an alarm). A file already reconciled is acknowledged and skipped; the function's own reports are ignored.
 * Metrics per class (rows and breaks) feed the alarms.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { S3Event } from 'aws-lambda';
import { ReconciliationError, ReconciliationErrorCode } from '../reconciliation/errors';
import { type RunSummary, reconcileObject } from '../reconciliation/run';
import { runContext } from '../reconciliation/wiring';
import { logger } from '../shared/logger';
import { instrumented } from '../shared/observability';

const metrics = new Metrics({ serviceName: 'reconciliation' });

/** S3 event keys are form-encoded ('+' for a space). */
const eventKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

function publishMetrics(summary: RunSummary): void {
  const report = summary.report;
  if (!report) return;
  for (const [cls, c] of Object.entries(report.classes)) {
    const m = metrics.singleMetric();
    m.addDimension('class', cls);
    m.addMetric('ReconciliationRows', MetricUnit.Count, c.count);
  }
  const breaks = report.breaks.filter((b) => b.handling !== 'auto_repaired').length;
  metrics.addMetric('ReconciliationBreaks', MetricUnit.Count, breaks);
  metrics.addMetric(
    'ReconciliationMalformedRows',
    MetricUnit.Count,
    report.classes.malformed_row?.count ?? 0,
  );
  metrics.publishStoredMetrics();
}

/** Only S3's object-created notifications: anything else is refused by name (retried, then the on-failure queue). */
function s3Records(event: S3Event): S3Event['Records'] {
  const records = (event as Partial<S3Event> | null)?.Records;
  if (!Array.isArray(records)) {
    throw new ReconciliationError(ReconciliationErrorCode.ValidationError, 'not an S3 event: no Records');
  }
  return records;
}

async function handle(event: S3Event): Promise<RunSummary[]> {
  const rc = await runContext();
  const records = s3Records(event);
  const summaries: RunSummary[] = [];
  for (const record of records) {
    const bucket = record.s3.bucket.name;
    const key = eventKey(record.s3.object.key);
    const summary = await reconcileObject(rc, bucket, key);
    logger.info('settlement file handled', {
      bucket,
      key,
      status: summary.status,
      sha256: summary.sha256,
      report_key: summary.reportKey,
      rows: summary.report?.rows,
      breaks: summary.report?.breaks.length,
    });
    publishMetrics(summary);
    // The report itself is in S3; the invocation's result stays small.
    const { report: _report, ...small } = summary;
    summaries.push(small);
  }
  return summaries;
}

export const handler = instrumented(handle);
