/** Stripe's `expand[]`: replace an id at a (dotted) path by the object it names; `data.` walks a list. */
import { snapshot } from './objects';
import type { Store } from './store';

type Json = Record<string, unknown>;

function expandPath(target: unknown, parts: readonly string[], store: Store): void {
  if (!target || typeof target !== 'object' || parts.length === 0) return;
  const node = target as Json;
  const [head, ...rest] = parts as [string, ...string[]];
  if (node.object === 'list' && head === 'data' && Array.isArray(node.data)) {
    for (const item of node.data) expandPath(item, rest, store);
    return;
  }
  const value = node[head];
  if (typeof value === 'string') {
    const found = store.lookup(value);
    if (found) node[head] = snapshot(found);
  }
  expandPath(node[head], rest, store);
}

export function expand<T>(body: T, paths: readonly string[], store: Store): T {
  if (paths.length === 0) return body;
  const copy = snapshot(body);
  for (const path of paths) expandPath(copy, path.split('.'), store);
  return copy;
}
