/** The API's route table: `METHOD /v1/template/:id` -> handler, and the shared list-parameter reader. */
import type { PspEngine, RequestContext } from './engine';
import { invalidRequest } from './errors';
import type { Params } from './form';
import type { ListOptions } from './store';

export interface ApiCall {
  readonly params: Params;
  readonly path: Readonly<Record<string, string>>;
  readonly request: RequestContext;
  readonly engine: PspEngine;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly template: string;
  handle(call: ApiCall): unknown;
}

export function route(method: Route['method'], template: string, handle: Route['handle']): Route {
  return { method, template, handle };
}

export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; path: Record<string, string> } | { route: undefined; methodAllowed: boolean } {
  const segments = path.split('/').filter(Boolean);
  let pathMatched = false;
  for (const candidate of routes) {
    const parts = candidate.template.split('/').filter(Boolean);
    if (parts.length !== segments.length) continue;
    const values: Record<string, string> = {};
    const ok = parts.every((part, i) => {
      const segment = segments[i] as string;
      if (part.startsWith(':')) {
        values[part.slice(1)] = decodeURIComponent(segment);
        return true;
      }
      return part === segment;
    });
    if (!ok) continue;
    pathMatched = true;
    if (candidate.method === method) return { route: candidate, path: values };
  }
  return { route: undefined, methodAllowed: !pathMatched };
}

export const LIST_PARAMS = ['limit', 'starting_after', 'ending_before', 'created', 'expand'] as const;

export function listOptions(params: Params): ListOptions {
  const created = params.raw.created;
  let range: ListOptions['created'];
  if (typeof created === 'string') {
    const at = params.integer('created') as number;
    range = { gte: at, lte: at };
  } else if (created !== undefined) {
    const c = params.object('created');
    if (!c) throw invalidRequest('Invalid created filter', { param: 'created' });
    c.allowOnly(['gt', 'gte', 'lt', 'lte']);
    range = {};
    for (const key of ['gt', 'gte', 'lt', 'lte'] as const) {
      const value = c.integer(key);
      if (value !== undefined) range[key] = value;
    }
  }
  return {
    limit: params.integer('limit'),
    startingAfter: params.string('starting_after'),
    endingBefore: params.string('ending_before'),
    created: range,
  };
}
