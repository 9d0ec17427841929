/**
 * Prepares an ASL file for the local runner: applies the same `${Placeholder}` substitutions CDK applies, finds
 * every Task state (inside Map and Parallel too) with the resource it calls, and replaces `$$.Task.Token`
 * references (which the runner cannot produce) with a marker that the runtime fills with a real token, and
 * carries a `TimeoutSecondsPath` through Parameters (see TIMEOUT_SECONDS_KEY).
 */

export const TASK_TOKEN_MARKER = '__LOCAL_TASK_TOKEN__';

/**
 * On AWS a Task's `TimeoutSecondsPath` reads the state's input; the local runner reads the effective input
 * (after Parameters). So locally the value is carried through Parameters under this key (and taken out again
 * before the task is called), which gives the same timeout as on AWS.
 */
export const TIMEOUT_SECONDS_KEY = '__local_timeout_seconds';

/**
 * Errors whose retry waits on a clock outside the workflow, one that runs in real time locally too: a PSP
 * request with the same idempotency key may still be executing at the simulator (PspInFlightError, our
 * timeout or its 409). Tests shorten every other retry interval; these keep the ASL's own, because retrying
 * sooner can only meet the same 409 again and spend the attempts before the first answer exists.
 */
export const REAL_TIME_RETRY_ERRORS: ReadonlySet<string> = new Set(['PspInFlightError']);

export type TaskIntegration =
  | { kind: 'lambda'; functionArn: string }
  | { kind: 'lambda:invoke'; waitForTaskToken: boolean }
  | { kind: 'sqs:sendMessage'; waitForTaskToken: boolean };

export interface PreparedDefinition {
  readonly definition: Record<string, unknown>;
  /** State name -> what the Task state calls. */
  readonly tasks: ReadonlyMap<string, TaskIntegration>;
  readonly usesTaskTokens: boolean;
  /**
   * The states with a Retry field, each with one flag per retrier: true when it waits in real time (it retries
   * only REAL_TIME_RETRY_ERRORS), so tests shorten the others only. And the Wait states (tests shorten them).
   */
  readonly retryingStates: ReadonlyMap<string, readonly boolean[]>;
  readonly waitStates: readonly string[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`ASL placeholder \${${name}} has no substitution`);
    return value;
  });
}

function integrationOf(stateName: string, resource: string): TaskIntegration {
  if (/^arn:aws:lambda:[^:]+:[^:]+:function:[^:]+$/.test(resource))
    return { kind: 'lambda', functionArn: resource };
  const match = /^arn:aws:states:::([a-z]+:[A-Za-z]+)(\.waitForTaskToken|\.sync)?$/.exec(resource);
  const service = match?.[1];
  const pattern = match?.[2];
  if (pattern === '.sync')
    throw new Error(`state ${stateName}: .sync integrations are not supported locally`);
  if (service === 'lambda:invoke')
    return { kind: 'lambda:invoke', waitForTaskToken: pattern === '.waitForTaskToken' };
  if (service === 'sqs:sendMessage') {
    return { kind: 'sqs:sendMessage', waitForTaskToken: pattern === '.waitForTaskToken' };
  }
  throw new Error(`state ${stateName}: resource ${resource} is not supported by the local runtime`);
}

/** Rewrites `"X.$": "$$.Task.Token"` to `"X": marker`, anywhere inside Parameters. */
function replaceTokenReferences(value: Json): Json {
  if (Array.isArray(value)) return value.map(replaceTokenReferences);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key.endsWith('.$') && inner === '$$.Task.Token') out[key.slice(0, -2)] = TASK_TOKEN_MARKER;
    else out[key] = replaceTokenReferences(inner);
  }
  return out;
}

export function prepareDefinition(
  aslText: string,
  substitutions: Readonly<Record<string, string>>,
): PreparedDefinition {
  const definition = JSON.parse(substitute(aslText, substitutions)) as { [key: string]: Json };
  if (definition.QueryLanguage === 'JSONata') {
    throw new Error('JSONata state machines are not supported locally: write the ASL in JSONPath mode');
  }
  const tasks = new Map<string, TaskIntegration>();
  const retryingStates = new Map<string, boolean[]>();
  const waitStates: string[] = [];
  let usesTaskTokens = false;

  const visit = (states: Json | undefined) => {
    if (!states || typeof states !== 'object' || Array.isArray(states)) return;
    for (const [name, raw] of Object.entries(states)) {
      const state = raw as { [key: string]: Json };
      if (state.QueryLanguage === 'JSONata' || 'Assign' in state) {
        throw new Error(`state ${name}: JSONata and Assign are ignored by the local runner; use JSONPath`);
      }
      if (Array.isArray(state.Retry)) {
        retryingStates.set(
          name,
          state.Retry.map((retrier) => {
            const errors = (retrier as { ErrorEquals?: Json }).ErrorEquals;
            return (
              Array.isArray(errors) &&
              errors.length > 0 &&
              errors.every((e) => typeof e === 'string' && REAL_TIME_RETRY_ERRORS.has(e))
            );
          }),
        );
      }
      if (state.Type === 'Wait') waitStates.push(name);
      if (state.Type === 'Task') {
        if (tasks.has(name)) throw new Error(`state name ${name} is used twice`);
        const integration = integrationOf(name, String(state.Resource));
        tasks.set(name, integration);
        if (
          typeof state.TimeoutSecondsPath === 'string' &&
          state.Parameters &&
          typeof state.Parameters === 'object'
        ) {
          state.Parameters = {
            ...(state.Parameters as { [key: string]: Json }),
            [`${TIMEOUT_SECONDS_KEY}.$`]: state.TimeoutSecondsPath,
          };
          state.TimeoutSecondsPath = `$.${TIMEOUT_SECONDS_KEY}`;
        }
        if ('waitForTaskToken' in integration && integration.waitForTaskToken) {
          usesTaskTokens = true;
          if (state.Parameters !== undefined) state.Parameters = replaceTokenReferences(state.Parameters);
        }
      }
      const processor = (state.ItemProcessor ?? state.Iterator) as { States?: Json } | undefined;
      if (processor) visit(processor.States);
      for (const branch of (state.Branches as { States?: Json }[] | undefined) ?? []) visit(branch.States);
    }
  };
  visit(definition.States);
  return { definition, tasks, usesTaskTokens, retryingStates, waitStates };
}

export function replaceMarker(value: unknown, token: string): unknown {
  if (value === TASK_TOKEN_MARKER) return token;
  if (Array.isArray(value)) return value.map((v) => replaceMarker(v, token));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceMarker(v, token)]));
  }
  return value;
}
