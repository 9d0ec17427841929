/**
 * Checks answers against the OpenAPI document the running API serves: the status must be documented for the
 * operation, and the body must validate against the schema documented for that status (JSON Schema 2020-12,
 * with ajv). Components are registered under their own URIs so that `$ref`s resolve.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are walked as untyped JSON
type Json = Record<string, any>;

const BASE = 'https://openapi.local/components/schemas/';

function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', BASE) : rewrite(v);
    }
    return out;
  }
  return value;
}

export interface CheckedAnswer {
  readonly ok: boolean;
  readonly problems: readonly string[];
}

export class OpenApiChecker {
  private readonly ajv: InstanceType<typeof Ajv2020>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly doc: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: unknown) => void)(this.ajv);
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      this.ajv.addSchema(rewrite(schema) as Json, `${BASE}${name}`);
    }
  }

  operations(): { key: string; method: string; path: string; op: Json }[] {
    return Object.entries(this.doc.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json).map(([method, op]) => ({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        op: op as Json,
      })),
    );
  }

  operation(key: string): Json {
    const found = this.operations().find((o) => o.key === key);
    if (!found) throw new Error(`${key} is not in the document`);
    return found.op;
  }

  /** Is this answer (status + parsed body) what the document says the operation answers? */
  check(key: string, status: number, body: unknown): CheckedAnswer {
    const op = this.operation(key);
    const response = op.responses?.[String(status)];
    if (!response) {
      return {
        ok: false,
        problems: [`${key}: status ${status} is not documented (${Object.keys(op.responses).join(', ')})`],
      };
    }
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return { ok: true, problems: [] };
    const id = `${key} ${status}`;
    let validate = this.compiled.get(id);
    if (!validate) {
      validate = this.ajv.compile(rewrite(schema) as Json);
      this.compiled.set(id, validate);
    }
    if (validate(body)) return { ok: true, problems: [] };
    return {
      ok: false,
      problems: (validate.errors ?? []).map(
        (e) => `${key} ${status}: ${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`,
      ),
    };
  }
}
