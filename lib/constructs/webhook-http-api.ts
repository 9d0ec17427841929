/**
 * The HTTP API for the manifest's `api: 'webhooks'` routes (the PSP's and the payee network's webhooks): one
 * Lambda integration per route (payload format 1.0, the REST API's event shape, so the handlers read the raw
 * body and `isBase64Encoded` the same way behind either API), each route's own throttle below the stage's
 * default, and JSON access logs (never a body or a header). An HTTP API request costs $1.00 per million
 * against the REST API's $3.50; what the REST API adds (API keys, usage plans, request validation, WAF) a
 * webhook does not use: its signature, verified on the raw body before anything else, authenticates it.
 */
import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { pascalCase, type RouteSpec } from '../manifest';
import type { ApiFromManifestProps } from './manifest-api';

/**
 * The access log line of an HTTP API (its own `$context` variables: no API key, resource path or WAF fields):
 * who (source IP), what (route, status), how long (integration and response latency) and why it failed.
 */
export const HTTP_ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationErrorMessage: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
  errorResponseType: '$context.error.responseType',
};

/**
 * `routes`: the manifest's `api: 'webhooks'` routes, each with its own throttle (a manifest check);
 * `stageThrottle`: the stage's default route settings, every webhook together.
 */
export type WebhookHttpApiProps = ApiFromManifestProps;

export class WebhookHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: WebhookHttpApiProps) {
    super(scope, id);

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.api = new HttpApi(this, 'Api', {
      apiName: `${props.service}-webhooks`,
      description: `${props.service}: the providers' webhooks (authenticated by their signatures)`,
      // The stage below, with its throttle and access logs, is the only one.
      createDefaultStage: false,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: props.stageName,
      autoDeploy: true,
      throttle: props.stageThrottle,
      detailedMetricsEnabled: true,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FIELDS)),
      },
    });

    // RouteSettings is a plain JSON map in CloudFormation: CDK does not rename its keys, so they are written as
    // CloudFormation spells them.
    const routeSettings: Record<string, Record<string, number | boolean>> = {};
    for (const route of props.routes) {
      const target = props.functionFor(route.function);
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        // Format 1.0: the same event as the REST API's proxy integration (headers, body, isBase64Encoded).
        integration: new HttpLambdaIntegration(`${pascalCase(route.function)}Integration`, target.function, {
          payloadFormatVersion: PayloadFormatVersion.VERSION_1_0,
        }),
      });
      if (route.throttle) {
        routeSettings[`${route.method} ${route.path}`] = {
          ThrottlingRateLimit: route.throttle.rateLimit,
          ThrottlingBurstLimit: route.throttle.burstLimit,
          DetailedMetricsEnabled: true,
        };
      }
    }
    // The L2 stage sets only the default route settings; each route's own throttle goes on the stage itself.
    (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Called only by payment providers, which cannot present our credentials: each route is authenticated by ' +
        "its provider's HMAC signature, verified on the raw body before anything else (manifest-checks admits " +
        "only `by: 'pspSignature'` routes on this API), and throttled per route.",
    });
  }

  /** The full URL of a route on this stage (`https://<id>.execute-api.<region>.amazonaws.com/<stage>/v1/...`). */
  urlOf(route: RouteSpec): string {
    return `${this.stage.url.replace(/\/$/, '')}${route.path}`;
  }
}
