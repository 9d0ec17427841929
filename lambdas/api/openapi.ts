/**
 * The OpenAPI 3.1 document of the API, generated from the manifest's routes and their documentation
 * (openapi-registry.ts), whose schemas are the zod schemas the code validates with: nothing is kept by hand.
 * `openApiDocument` refuses a route without documentation (and documentation of a route that does not exist),
 * so the document always covers exactly the deployed API. Served locally at `/openapi.json` (sandbox/dev-pages).
 */
import { z } from 'zod';
import type { RouteSpec } from '../../lib/manifest';
import { errorEnvelopeSchema } from './response-schemas';
import { type AnySchema, RouteAuth, type RouteDoc } from './route-docs';

export class OpenApiCoverageError extends Error {
  constructor(
    readonly undocumented: readonly string[],
    readonly unknown: readonly string[],
  ) {
    super(
      [
        undocumented.length ? `routes without an OpenAPI entry: ${undocumented.join(', ')}` : '',
        unknown.length ? `OpenAPI entries for routes that do not exist: ${unknown.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; '),
    );
    this.name = 'OpenApiCoverageError';
  }
}

type Json = Record<string, unknown>;

/** Collects schemas with an id (`.meta({ id })`) into components and points `$ref`s at them. */
class SchemaCollector {
  readonly components: Record<string, unknown> = {};

  constructor(private readonly io: 'input' | 'output') {}

  toJson(schema: AnySchema): Json {
    const raw = z.toJSONSchema(schema, { io: this.io, unrepresentable: 'any' }) as Json;
    const defs = (raw.$defs ?? {}) as Record<string, unknown>;
    delete raw.$defs;
    delete raw.$schema;
    for (const [id, def] of Object.entries(defs)) this.components[id] = rewriteRefs(def);
    const top = rewriteRefs(raw) as Json;
    // A schema that is itself a component: `{ $ref }` only.
    const id = z.globalRegistry.get(schema)?.id;
    if (typeof id === 'string' && !top.$ref) {
      this.components[id] = top;
      return { $ref: `#/components/schemas/${id}` };
    }
    return top;
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] =
        key === '$ref' && typeof inner === 'string'
          ? inner.replace(/^#\/\$defs\//, '#/components/schemas/')
          : rewriteRefs(inner);
    }
    return out;
  }
  return value;
}

const SECURITY: Readonly<Record<RouteAuth, readonly Json[]>> = {
  [RouteAuth.None]: [],
  [RouteAuth.StorefrontKey]: [{ storefrontKey: [] }],
  [RouteAuth.OperatorKey]: [{ operatorKey: [] }],
  [RouteAuth.PspSignature]: [{ pspSignature: [] }],
  [RouteAuth.PayeeSignature]: [{ payeeSignature: [] }],
};

/** API Gateway's own refusal (unknown route, missing or wrong key): not our error envelope. */
const GATEWAY_REFUSAL = {
  type: 'object',
  properties: { message: { type: 'string' } },
  required: ['message'],
} as const;

function errorResponse(codes: readonly string[]): Json {
  return {
    description: `Error codes: ${codes.map((c) => `\`${c}\``).join(', ')}.`,
    'x-error-codes': [...codes],
    content: {
      'application/json': {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/Error' },
            {
              type: 'object',
              properties: { error: { type: 'object', properties: { code: { enum: [...codes] } } } },
            },
          ],
        },
      },
    },
  };
}

function operation(route: RouteSpec, doc: RouteDoc, input: SchemaCollector, output: SchemaCollector): Json {
  const parameters: Json[] = [];
  for (const name of [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string)) {
    const schema = doc.pathParams?.[name];
    if (!schema) throw new Error(`${route.method} ${route.path}: path parameter ${name} is not documented`);
    parameters.push({ name, in: 'path', required: true, schema: input.toJson(schema) });
  }
  for (const [name, schema] of Object.entries(doc.query ?? {})) {
    parameters.push({
      name,
      in: 'query',
      required: !z.safeParse(schema, undefined).success,
      schema: input.toJson(schema),
    });
  }
  if (doc.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description:
        'Up to 255 characters. The first answer is replayed for 24 h (`Idempotent-Replayed: true`); the same key with another body is 400 `idempotency_error`; a request racing the first is 409 `request_in_progress`.',
      schema: { type: 'string', maxLength: 255 },
    });
  }
  const responses: Json = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = {
      description: response.description,
      content: { 'application/json': { schema: output.toJson(response.schema) } },
    };
  }
  const errors: Record<string, readonly string[]> = { ...doc.errors };
  // API Gateway (and the sandbox's stand-in) refuses a path parameter it cannot decode, before any function.
  if (route.path.includes('{')) errors['400'] = [...new Set([...(errors['400'] ?? []), 'invalid_path'])];
  for (const [status, codes] of Object.entries(errors)) responses[status] = errorResponse(codes);
  if (doc.auth === RouteAuth.StorefrontKey || doc.auth === RouteAuth.OperatorKey) {
    responses['403'] ??= {
      description: 'API Gateway: missing or wrong API key (its own body, not the error envelope).',
      content: { 'application/json': { schema: GATEWAY_REFUSAL } },
    };
  }
  return {
    operationId: `${route.function}${route.method === 'GET' ? '' : `-${route.method.toLowerCase()}`}`,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag],
    security: SECURITY[doc.auth],
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: input.toJson(doc.body) } },
          },
        }
      : {}),
    ...(doc.rawBody
      ? {
          requestBody: {
            required: true,
            description: doc.rawBody.description,
            content: { [doc.rawBody.contentType]: { schema: {} } },
          },
        }
      : {}),
    responses,
    'x-function': route.function,
  };
}

/** Throws OpenApiCoverageError unless every route has an entry and every entry a route. */
export function checkCoverage(routes: readonly RouteSpec[], docs: Readonly<Record<string, RouteDoc>>): void {
  const keys = new Set(routes.map((r) => `${r.method} ${r.path}`));
  const undocumented = [...keys].filter((k) => !docs[k]);
  const unknown = Object.keys(docs).filter((k) => !keys.has(k));
  if (undocumented.length || unknown.length) throw new OpenApiCoverageError(undocumented, unknown);
}

export interface OpenApiOptions {
  readonly title?: string;
  readonly version?: string;
  /** `servers[0].url`, e.g. the sandbox's API URL. */
  readonly serverUrl?: string;
}

export function openApiDocument(
  routes: readonly RouteSpec[],
  docs: Readonly<Record<string, RouteDoc>>,
  options: OpenApiOptions = {},
): Json {
  checkCoverage(routes, docs);
  // Requests are described as accepted (input), answers as produced (output); both share one component list.
  const input = new SchemaCollector('input');
  const output = new SchemaCollector('output');
  output.toJson(errorEnvelopeSchema);
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    const doc = docs[`${route.method} ${route.path}`] as RouteDoc;
    paths[route.path] ??= {};
    (paths[route.path] as Json)[route.method.toLowerCase()] = operation(route, doc, input, output);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Marketplace payments API',
      version: options.version ?? '0.1.0',
      description:
        'Pay-in, pay-out, ledger and wallets for a marketplace. Amounts are decimal strings in the currency exponent; errors are `{"error":{"code","message","details?","request_id"}}`. Generated from the code (lambdas/api/openapi.ts).',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [...new Set(Object.values(docs).map((d) => d.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...input.components, ...output.components },
      securitySchemes: {
        storefrontKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: "The storefront's key.",
        },
        operatorKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: "The operator's key (a different key; never the storefront's).",
        },
        pspSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'Stripe-Signature',
          description: 'HMAC-SHA256 of the raw body with the webhook secret, as Stripe signs.',
        },
        payeeSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Payee-Signature',
          description:
            't=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> with the payee network\'s webhook secret.',
        },
      },
    },
  };
}

export const README_TABLE_START =
  '<!-- api-table:start (generated from the OpenAPI document: npx payments openapi --readme) -->';
export const README_TABLE_END = '<!-- api-table:end -->';

const AUTH_LABEL: Readonly<Record<string, string>> = {
  storefrontKey: 'storefront key',
  operatorKey: 'operator key',
  pspSignature: 'PSP signature',
  payeeSignature: 'payee network signature',
};

/** The README's API table, generated from the document (one row per operation). */
export function readmeRouteTable(doc: Json): string {
  const rows = ['| route | auth | what | answers |', '|---|---|---|---|'];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      const security = (op.security as Json[] | undefined)?.[0];
      const auth = security ? (AUTH_LABEL[Object.keys(security)[0] as string] ?? '') : 'none';
      const statuses = Object.keys(op.responses as Json).join(', ');
      const what = op.description ? `${String(op.summary)}: ${String(op.description)}` : String(op.summary);
      rows.push(
        `| \`${method.toUpperCase()} ${path}\` | ${auth} | ${what.replaceAll('|', '\\|')} | ${statuses} |`,
      );
    }
  }
  return rows.join('\n');
}

/** The README with its API table replaced by the generated one (between the two markers). */
export function withReadmeTable(readme: string, table: string): string {
  const start = readme.indexOf(README_TABLE_START);
  const end = readme.indexOf(README_TABLE_END);
  if (start < 0 || end < start) throw new Error('README.md has no API table markers');
  return `${readme.slice(0, start + README_TABLE_START.length)}\n${table}\n${readme.slice(end)}`;
}
