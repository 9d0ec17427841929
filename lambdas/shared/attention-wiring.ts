/**
 * The needs-attention sink of a function granted the attention table (the manifest's `attention` access sets
 * its variable), once per container; a function without it gets none and only logs. Spread into a context:
 * `...attentionIfGranted()`.
 */
import { envVarFor } from '../../lib/manifest/naming';
import { powertoolsMetrics } from '../attention/metrics';
import type { AttentionSink } from '../attention/model';
import { attentionSink } from '../attention/store';
import { documentClient } from './aws-clients';
import { resource } from './config';

let sink: AttentionSink | undefined;

export function attentionIfGranted(): { attention?: AttentionSink } {
  if (!process.env[envVarFor('table', 'attention')]) return {};
  sink ??= attentionSink({
    db: documentClient(),
    table: resource('table', 'attention'),
    metrics: powertoolsMetrics(),
  });
  return { attention: sink };
}
