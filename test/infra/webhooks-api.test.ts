/**
 * The providers' webhooks on their own HTTP API (the manifest's `api: 'webhooks'` routes): not on the REST API
 * (no API key, no WAF, a third of the price a request), each with a Lambda integration in payload format 1.0,
 * a throttle of its own below the stage default, JSON access logs, and its URL as a stack output.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ACCESS_LOG_FIELDS } from '../../lib/constructs/webhook-http-api';
import { apiOf, type Manifest, manifest } from '../../lib/manifest';
import { type Synthesized, synth } from './synth';
import { type Json, logicalId, mentions, resources, routesIn } from './template-helpers';

let built: Synthesized;
beforeAll(() => {
  built = synth(manifest);
}, 180_000);

const webhookRoutes = manifest.routes.filter((r) => apiOf(r) === 'webhooks');
const ofType = (type: string): [string, Json][] =>
  Object.entries(resources(built.template))
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, { Properties: r.Properties ?? {} }]);

describe('the webhooks HTTP API', () => {
  it("serves the PSP's and the payee network's webhooks, which the REST API no longer has", () => {
    expect(webhookRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'POST /v1/webhooks/payouts',
      'POST /v1/webhooks/psp',
    ]);
    const routeKeys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => (r.Properties as Json).RouteKey);
    expect(routeKeys.sort()).toEqual(['POST /v1/webhooks/payouts', 'POST /v1/webhooks/psp']);
    const rest = routesIn(built.template).map((r) => r.path);
    for (const route of webhookRoutes) expect(rest).not.toContain(route.path);
    // The storefront's REST API keeps the rest, behind its WAF.
    expect(rest).toContain('/v1/payments');
    expect(ofType('AWS::WAFv2::WebACLAssociation')).toHaveLength(1);
  });

  it('integrates each route with its own function in payload format 1.0 (the REST proxy event)', () => {
    const integrations = ofType('AWS::ApiGatewayV2::Integration').map(([, r]) => r.Properties as Json);
    expect(integrations).toHaveLength(webhookRoutes.length);
    for (const route of webhookRoutes) {
      const fnId = logicalId(built.stack, built.stack.fn(route.function).function);
      const integration = integrations.find((i) => mentions(i.IntegrationUri, fnId));
      expect(integration, route.path).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '1.0',
      });
    }
  });

  it('throttles the stage by default and each route by its manifest throttle', () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage').map(([, r]) => r.Properties as Json);
    expect(stages).toHaveLength(1);
    const stage = stages[0] as Json;
    expect(stage).toMatchObject({
      StageName: built.config.apiStageName,
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: built.config.stageThrottle.rateLimit,
        ThrottlingBurstLimit: built.config.stageThrottle.burstLimit,
        DetailedMetricsEnabled: true,
      },
    });
    for (const route of webhookRoutes) {
      expect((stage.RouteSettings as Json)[`${route.method} ${route.path}`], route.path).toEqual({
        ThrottlingRateLimit: route.throttle?.rateLimit,
        ThrottlingBurstLimit: route.throttle?.burstLimit,
        DetailedMetricsEnabled: true,
      });
    }
  });

  it('writes JSON access logs (request id, route, status, latency; never a body or a header)', () => {
    const stage = ofType('AWS::ApiGatewayV2::Stage')[0]?.[1].Properties as {
      AccessLogSettings: { DestinationArn: unknown; Format: string };
    };
    expect(JSON.parse(stage.AccessLogSettings.Format)).toEqual(HTTP_ACCESS_LOG_FIELDS);
    expect(stage.AccessLogSettings.Format).toContain('$context.requestId');
    expect(stage.AccessLogSettings.Format).not.toMatch(/\$context\.(body|requestHeader|authorizer)/);
    const logGroups = ofType('AWS::Logs::LogGroup').map(([id]) => id);
    expect(logGroups.some((id) => mentions(stage.AccessLogSettings.DestinationArn, id))).toBe(true);
  });

  it('outputs each webhook URL: the stage URL and the route path', () => {
    const outputs = built.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const apiId = ofType('AWS::ApiGatewayV2::Api')[0]?.[0] as string;
    for (const [name, path] of [
      ['PspWebhookUrl', '/v1/webhooks/psp'],
      ['PayoutWebhookUrl', '/v1/webhooks/payouts'],
    ] as const) {
      const value = JSON.stringify(outputs[name]?.Value);
      expect(value, name).toContain(apiId);
      expect(value, name).toContain(`/${built.config.apiStageName}${path}`);
    }
  });

  it('refuses, at synth, a route on the webhooks API that its caller does not sign', () => {
    const health = manifest.routes.find((r) => r.path === '/v1/health');
    if (!health) throw new Error('manifest changed');
    const moved: Manifest = {
      ...manifest,
      routes: manifest.routes.map((r) => (r === health ? { ...r, api: 'webhooks' as const } : r)),
    };
    expect(() => synth(moved)).toThrow(/GET \/v1\/health: only a signature-authenticated route/);
  }, 180_000);
});
