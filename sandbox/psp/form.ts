/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracket notation for nesting
 * (`metadata[k]=v`, `line_items[0][price_data][unit_amount]=500`, `expand[]=x`), decoded into nested
 * objects and arrays, plus typed readers that raise Stripe's own validation errors.
 */
import { invalidRequest, missingParam } from './errors';

export type ParamValue = string | ParamObject | ParamValue[];
export interface ParamObject {
  [key: string]: ParamValue;
}

/** `a[b][0][c]` -> ['a', 'b', '0', 'c']; `a[]` -> ['a', ''] (append). */
function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const parts = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/g;
  let match: RegExpExecArray | null = re.exec(key.slice(open));
  while (match) {
    parts.push(match[1] ?? '');
    match = re.exec(key.slice(open));
  }
  return parts;
}

type Draft = { [key: string]: Draft | string };

function arrayify(node: Draft | string): ParamValue {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  const converted: ParamObject = {};
  for (const key of keys) converted[key] = arrayify(node[key] as Draft | string);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => converted[k] as ParamValue);
  }
  return converted;
}

export function parseForm(body: string): ParamObject {
  const root: Draft = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const path = splitKey(rawKey);
    let node: Draft = root;
    for (let i = 0; i < path.length; i++) {
      let segment = path[i] as string;
      // `[]` appends: number it after the entries already present.
      if (segment === '') segment = String(Object.keys(node).length);
      if (i === path.length - 1) {
        node[segment] = value;
      } else {
        const next = node[segment];
        if (typeof next === 'string' || next === undefined) node[segment] = {};
        node = node[segment] as Draft;
      }
    }
  }
  return arrayify(root) as ParamObject;
}

/** Typed access to one request's parameters, rejecting anything the endpoint does not know. */
export class Params {
  constructor(
    readonly raw: ParamObject,
    private readonly prefix = '',
  ) {}

  private name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  /** Stripe answers 400 `parameter_unknown` for a parameter the endpoint does not take. */
  allowOnly(allowed: readonly string[]): this {
    for (const key of Object.keys(this.raw)) {
      if (!allowed.includes(key)) {
        throw invalidRequest(`Received unknown parameter: ${this.name(key)}`, {
          param: this.name(key),
          code: 'parameter_unknown',
        });
      }
    }
    return this;
  }

  has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  string(key: string): string | undefined {
    const value = this.raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw invalidRequest(`Invalid string: ${this.name(key)}`, { param: this.name(key) });
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') throw missingParam(this.name(key));
    return value;
  }

  /** Empty string means "unset" in Stripe's encoding (null is sent as `key=`). */
  nullableString(key: string): string | null | undefined {
    const value = this.string(key);
    return value === '' ? null : value;
  }

  integer(key: string): number | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
      throw invalidRequest(`Invalid integer: ${value}`, { param: this.name(key) });
    }
    return Number(value);
  }

  requiredInteger(key: string): number {
    const value = this.integer(key);
    if (value === undefined) throw missingParam(this.name(key));
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw invalidRequest(`Invalid boolean: ${value}`, { param: this.name(key) });
  }

  object(key: string): Params | undefined {
    const value = this.raw[key];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw invalidRequest(`Invalid object`, { param: this.name(key) });
    }
    return new Params(value, this.name(key));
  }

  list(key: string): ParamValue[] | undefined {
    const value = this.raw[key];
    if (value === undefined || value === '') return undefined;
    if (!Array.isArray(value)) throw invalidRequest(`Invalid array`, { param: this.name(key) });
    return value;
  }

  stringList(key: string): string[] | undefined {
    const list = this.list(key);
    if (!list) return undefined;
    return list.map((item) => {
      if (typeof item !== 'string') throw invalidRequest(`Invalid array`, { param: this.name(key) });
      return item;
    });
  }

  /** `metadata[k]=v` with Stripe's limits (50 keys, 40-char keys, 500-char values); `k=` removes k. */
  metadata(key = 'metadata', base: Record<string, string> = {}): Record<string, string> {
    const value = this.raw[key];
    if (value === undefined) return { ...base };
    if (value === '') return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw invalidRequest('Invalid metadata: must be an object', { param: this.name(key) });
    }
    const result = { ...base };
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'string')
        throw invalidRequest('Invalid metadata value', { param: `${this.name(key)}[${k}]` });
      if (k.length > 40)
        throw invalidRequest('Metadata keys can be at most 40 characters', { param: this.name(key) });
      if (v.length > 500)
        throw invalidRequest('Metadata values can be at most 500 characters', { param: this.name(key) });
      if (v === '') delete result[k];
      else result[k] = v;
    }
    if (Object.keys(result).length > 50)
      throw invalidRequest('Metadata can have at most 50 keys', { param: this.name(key) });
    return result;
  }

  expand(): string[] {
    return this.stringList('expand') ?? [];
  }
}

/** A stable rendering of parameters, for comparing an idempotent retry with its first request. */
export function canonicalParams(value: ParamValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalParams).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalParams(value[k] as ParamValue)}`).join(',')}}`;
}
