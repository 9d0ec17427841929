/**
 * Synth-time checks of a manifest: dangling references and settings AWS accepts but that break at run time
 * (a queue whose visibility timeout is shorter than 6x its consumer's timeout redelivers messages that are
 * still being processed). Pure data in, a list of problems out; the stack throws them all at once.
 */
import { apiOf, type Manifest } from './manifest';

/** AWS guidance for SQS event sources: visibility timeout >= 6x the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export class ManifestError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`The manifest is not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ManifestError';
  }
}

function duplicates(ids: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const id of ids) (seen.has(id) ? repeated : seen).add(id);
  return [...repeated];
}

export function manifestProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  const tables = new Set(manifest.tables.map((t) => t.id));
  const queues = new Map(manifest.queues.map((q) => [q.id, q]));
  const buckets = new Set(manifest.buckets.map((b) => b.id));
  const secrets = new Set(manifest.secrets.map((s) => s.id));
  const topics = new Set(manifest.topics.map((t) => t.id));
  const functions = new Map(manifest.functions.map((f) => [f.id, f]));
  const stateMachines = new Set(manifest.stateMachines.map((s) => s.id));

  const kinds: [string, readonly { id: string }[]][] = [
    ['table', manifest.tables],
    ['queue', manifest.queues],
    ['bucket', manifest.buckets],
    ['secret', manifest.secrets],
    ['topic', manifest.topics],
    ['function', manifest.functions],
    ['schedule', manifest.schedules],
    ['state machine', manifest.stateMachines],
  ];
  for (const [kind, items] of kinds) {
    for (const id of duplicates(items.map((i) => i.id))) problems.push(`${kind} ${id} is declared twice`);
  }

  const expect = (known: { has(id: string): boolean }, kind: string, id: string, where: string) => {
    if (!known.has(id)) problems.push(`${where}: ${kind} ${id} is not declared`);
  };

  for (const queue of manifest.queues) {
    if (queue.deadLetter) {
      expect(queues, 'dead-letter queue', queue.deadLetter.queue, `queue ${queue.id}`);
      if (queue.deadLetter.queue === queue.id)
        problems.push(`queue ${queue.id} is its own dead-letter queue`);
    }
  }
  for (const bucket of manifest.buckets) {
    if (bucket.onObjectCreated)
      expect(functions, 'function', bucket.onObjectCreated.function, `bucket ${bucket.id}`);
  }
  for (const topic of manifest.topics) {
    for (const subscriber of topic.subscribers) expect(queues, 'queue', subscriber, `topic ${topic.id}`);
  }
  for (const fn of manifest.functions) {
    const where = `function ${fn.id}`;
    const access = fn.access ?? {};
    for (const id of Object.keys(access.tables ?? {})) expect(tables, 'table', id, where);
    for (const id of Object.keys(access.queues ?? {})) expect(queues, 'queue', id, where);
    for (const id of Object.keys(access.buckets ?? {})) expect(buckets, 'bucket', id, where);
    for (const id of Object.keys(access.stateMachines ?? {}))
      expect(stateMachines, 'state machine', id, where);
    for (const id of access.secrets ?? []) expect(secrets, 'secret', id, where);
    for (const id of access.topics ?? []) expect(topics, 'topic', id, where);
  }
  for (const route of manifest.routes) {
    expect(functions, 'function', route.function, `route ${route.method} ${route.path}`);
    if (!route.path.startsWith('/'))
      problems.push(`route ${route.method} ${route.path}: path must start with /`);
  }
  for (const route of manifest.routes) problems.push(...routeAuthorizationProblems(route, functions));
  // One API per function: its invoke permissions, and the cost model's count of each API's requests, follow.
  for (const [fn, apis] of groupBy(
    manifest.routes,
    (r) => r.function,
    (r) => apiOf(r),
  ))
    if (apis.size > 1)
      problems.push(`function ${fn} serves routes on both the REST API and the webhooks API`);
  for (const table of manifest.tables.filter((t) => t.appendOnly)) {
    if (!table.stream)
      problems.push(`table ${table.id} is appendOnly: it needs stream: true (its changes are watched)`);
    if (!manifest.tableStreamEventSources.some((s) => s.table === table.id))
      problems.push(`table ${table.id} is appendOnly: no stream event source watches it for MODIFY/REMOVE`);
    for (const fn of manifest.functions) {
      const level = fn.access?.tables?.[table.id];
      if (level && level !== 'read' && level !== 'append')
        problems.push(
          `function ${fn.id}: table ${table.id} is appendOnly, grant it 'append' (not '${level}')`,
        );
    }
  }
  for (const [key, count] of countBy(manifest.routes.map((r) => `${r.method} ${r.path}`))) {
    if (count > 1) problems.push(`route ${key} is declared ${count} times`);
  }
  for (const schedule of manifest.schedules) {
    expect(functions, 'function', schedule.function, `schedule ${schedule.id}`);
    if (!Number.isInteger(schedule.everyMinutes) || schedule.everyMinutes < 1)
      problems.push(`schedule ${schedule.id}: everyMinutes must be a whole number >= 1`);
  }
  for (const machine of manifest.stateMachines) {
    const where = `state machine ${machine.id}`;
    for (const id of Object.values(machine.functionSubstitutions)) expect(functions, 'function', id, where);
    for (const id of Object.values(machine.queueSubstitutions ?? {})) expect(queues, 'queue', id, where);
  }

  const streamTables = new Map(manifest.tables.map((t) => [t.id, Boolean(t.stream)]));
  for (const source of manifest.tableStreamEventSources) {
    const where = `stream event source ${source.table} -> ${source.function}`;
    if (!streamTables.has(source.table)) problems.push(`${where}: table ${source.table} is not declared`);
    else if (!streamTables.get(source.table)) problems.push(`${where}: table ${source.table} has no stream`);
    expect(functions, 'function', source.function, where);
    expect(queues, 'on-failure queue', source.onFailureQueue, where);
  }

  for (const source of manifest.queueEventSources) {
    const where = `event source ${source.queue} -> ${source.function}`;
    const queue = queues.get(source.queue);
    const fn = functions.get(source.function);
    if (!queue) problems.push(`${where}: queue ${source.queue} is not declared`);
    if (!fn) problems.push(`${where}: function ${source.function} is not declared`);
    if (queue && fn) {
      const minimum = VISIBILITY_TIMEOUT_FACTOR * fn.timeoutSeconds;
      if (queue.visibilityTimeoutSeconds < minimum) {
        problems.push(
          `queue ${queue.id}: visibility timeout ${queue.visibilityTimeoutSeconds} s is less than ` +
            `${VISIBILITY_TIMEOUT_FACTOR} x the ${fn.timeoutSeconds} s timeout of its consumer ${fn.id} ` +
            `(needs >= ${minimum} s), so messages still being processed would be delivered again`,
        );
      }
    }
  }
  return problems;
}

/**
 * Every route carries an explicit authorization decision: the storefront's API key, or, for a public route,
 * what authenticates it instead and why. A public route also has its own throttle and its function a reserved
 * concurrency, so that a flood on it can neither use the whole stage rate nor starve checkouts of concurrency.
 */
function routeAuthorizationProblems(
  route: Manifest['routes'][number],
  functions: ReadonlyMap<string, Manifest['functions'][number]>,
): string[] {
  const where = `route ${route.method} ${route.path}`;
  const problems: string[] = [];
  if (route.apiKeyRequired) {
    if (route.authorization)
      problems.push(`${where}: requires the API key, so it must not also declare a public authorization`);
  } else {
    if (!route.authorization?.reason?.trim()) {
      problems.push(
        `${where}: no authorization decision: a route without the API key must declare ` +
          "authorization: { by: 'pspSignature' | 'none', reason }",
      );
    }
    if (!route.throttle) problems.push(`${where}: a public route needs its own throttle`);
    const fn = functions.get(route.function);
    if (fn && fn.reservedConcurrency === undefined)
      problems.push(`${where}: function ${fn.id} serves a public route and needs a reservedConcurrency`);
  }
  // The HTTP API has no API keys, validator or WAF: only a route its caller's signature authenticates goes there.
  if (route.api === 'webhooks' && route.authorization?.by !== 'pspSignature')
    problems.push(
      `${where}: only a signature-authenticated route (by: 'pspSignature') may be on the webhooks API`,
    );
  if (route.throttle) {
    const { rateLimit, burstLimit } = route.throttle;
    if (!(rateLimit > 0) || !Number.isInteger(burstLimit) || burstLimit < 1)
      problems.push(`${where}: throttle needs rateLimit > 0 and a whole burstLimit >= 1`);
  }
  return problems;
}

function groupBy<T, V>(
  items: readonly T[],
  key: (item: T) => string,
  value: (item: T) => V,
): Map<string, Set<V>> {
  const groups = new Map<string, Set<V>>();
  for (const item of items) groups.set(key(item), (groups.get(key(item)) ?? new Set<V>()).add(value(item)));
  return groups;
}

function countBy(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

/** Throws one `ManifestError` listing every problem, so a broken manifest is fixed in one pass. */
export function assertValidManifest(manifest: Manifest): void {
  const problems = manifestProblems(manifest);
  if (problems.length > 0) throw new ManifestError(problems);
}
