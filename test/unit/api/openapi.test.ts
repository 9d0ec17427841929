/**
 * The OpenAPI document is generated from the manifest's routes and their entries in the registry: every route
 * must have one (and every entry a route), every path parameter must be documented, and each answer names its
 * error codes. The README's API section links to the generated document.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkCoverage,
  OpenApiCoverageError,
  openApiDocument,
  readmeRouteTable,
  withReadmeTable,
} from '../../../lambdas/api/openapi';
import { routeDocs } from '../../../lambdas/api/openapi-registry';
import { manifest, type RouteSpec } from '../../../lib/manifest';

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are walked as untyped JSON
type Json = Record<string, any>;

describe('OpenAPI document', () => {
  it('documents every manifest route, and nothing else', () => {
    expect(() => checkCoverage(manifest.routes, routeDocs)).not.toThrow();
    const doc = openApiDocument(manifest.routes, routeDocs) as Json;
    const operations = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.keys(item as Json).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(manifest.routes.map((r) => `${r.method} ${r.path}`).sort());
    expect(doc.openapi).toBe('3.1.0');
  });

  it('fails on a route with no entry, naming it', () => {
    const extra: RouteSpec = {
      method: 'POST',
      path: '/v1/not-documented',
      function: 'health',
      apiKeyRequired: true,
    };
    expect(() => openApiDocument([...manifest.routes, extra], routeDocs)).toThrow(OpenApiCoverageError);
    expect(() => openApiDocument([...manifest.routes, extra], routeDocs)).toThrow(
      /POST \/v1\/not-documented/,
    );
  });

  it('fails on an entry whose route does not exist', () => {
    expect(() => checkCoverage(manifest.routes.slice(1), routeDocs)).toThrow(/routes that do not exist/);
  });

  it('gives every operation its answers, error codes and path parameters', () => {
    const doc = openApiDocument(manifest.routes, routeDocs) as Json;
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        const label = `${method} ${path}`;
        const statuses = Object.keys(op.responses);
        expect(
          statuses.some((s) => s.startsWith('2')),
          label,
        ).toBe(true);
        expect(
          statuses.some((s) => s.startsWith('5')),
          label,
        ).toBe(true);
        for (const [status, response] of Object.entries(op.responses as Json)) {
          if (Number(status) >= 400 && status !== '403') {
            expect((response as Json)['x-error-codes']?.length, `${label} ${status}`).toBeGreaterThan(0);
          }
        }
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        const documented = (op.parameters ?? [])
          .filter((p: Json) => p.in === 'path')
          .map((p: Json) => p.name);
        expect(documented, label).toEqual(names);
      }
    }
  });

  it('describes the create-payment body from the schema that validates it (unknown keys refused)', () => {
    const doc = openApiDocument(manifest.routes, routeDocs) as Json;
    const body = doc.paths['/v1/payments'].post.requestBody.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(expect.arrayContaining(['buyer_info', 'checkout_id', 'payment_orders']));
    expect(Object.keys(body.properties)).toContain('credit_card_info');
    const codes = doc.paths['/v1/payments'].post.responses['400']['x-error-codes'];
    expect(codes).toEqual(
      expect.arrayContaining(['validation_error', 'amount_is_float', 'mixed_currencies']),
    );
  });

  it("is what the README's API table is generated from (run `npx payments openapi --readme` when this fails)", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('/openapi.json');
    const doc = openApiDocument(manifest.routes, routeDocs);
    expect(withReadmeTable(readme, readmeRouteTable(doc))).toBe(readme);
  });
});

describe('operator routes', () => {
  const operator = manifest.routes.filter((r) => r.authorization?.by === 'operatorKey');

  it("take the operator key, checked by their function (never API Gateway's storefront key)", () => {
    expect(operator.length).toBeGreaterThan(0);
    for (const route of operator) {
      expect(route.path.startsWith('/v1/operator/'), route.path).toBe(true);
      expect(route.apiKeyRequired, route.path).toBe(false);
      const fn = manifest.functions.find((f) => f.id === route.function);
      expect(fn?.access?.secrets, route.function).toContain('operator-api-key');
      expect(routeDocs[`${route.method} ${route.path}`]?.auth).toBe('operator-key');
    }
  });

  it('are the only routes under /v1/operator/', () => {
    for (const route of manifest.routes.filter((r) => r.path.startsWith('/v1/operator/'))) {
      expect(route.authorization?.by, route.path).toBe('operatorKey');
    }
  });
});
