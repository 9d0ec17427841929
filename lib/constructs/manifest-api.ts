/**
 * The REST API built from the manifest's `api: 'rest'` routes (the webhooks have their own HTTP API:
 * webhook-http-api.ts): nested resources from the paths, one Lambda proxy integration per route, the
 * storefront's API key and usage plan on the routes that require it, a request validator on the storefront routes (path parameters
 * present, a JSON body that is an object: the handlers' schemas stay the authority), each route's own
 * throttle, JSON access logs (API key id, integration latency, error message; never a body or a key), X-Ray
 * tracing, stage-wide throttling, and API Gateway's own errors in the API's error envelope.
 */
import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  EndpointType,
  type IApiKey,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  type MethodDeploymentOptions,
  MethodLoggingLevel,
  type Model,
  type RequestValidator,
  ResponseType,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Throttle } from '../config';
import type { RouteSpec } from '../manifest';
import type { PaymentFunction } from './payment-function';

export type { Throttle } from '../config';

/**
 * The access log line: who (API key id, never the key; source IP), what (method, resource, status), how long
 * (integration and response latency) and why it failed (error message and type, WAF and integration status).
 */
export const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: AccessLogField.contextRequestId(),
  extendedRequestId: AccessLogField.contextExtendedRequestId(),
  requestTime: AccessLogField.contextRequestTime(),
  ip: AccessLogField.contextIdentitySourceIp(),
  apiKeyId: AccessLogField.contextIdentityApiKeyId(),
  httpMethod: AccessLogField.contextHttpMethod(),
  resourcePath: AccessLogField.contextResourcePath(),
  protocol: AccessLogField.contextProtocol(),
  status: AccessLogField.contextStatus(),
  responseLength: AccessLogField.contextResponseLength(),
  responseLatencyMs: AccessLogField.contextResponseLatency(),
  integrationLatencyMs: AccessLogField.contextIntegrationLatency(),
  integrationStatus: AccessLogField.contextIntegrationStatus(),
  errorMessage: AccessLogField.contextErrorMessage(),
  errorResponseType: AccessLogField.contextErrorResponseType(),
  wafResponseCode: AccessLogField.contextWafResponseCode(),
  xrayTraceId: AccessLogField.contextXrayTraceId(),
};

/** API Gateway's own refusals, in the API's error envelope (`{"error":{"code","message","request_id"}}`). */
const GATEWAY_ERRORS: readonly [ResponseType, string | undefined, string, string][] = [
  [ResponseType.BAD_REQUEST_BODY, '400', 'validation_error', 'the request body must be a JSON object'],
  [ResponseType.BAD_REQUEST_PARAMETERS, '400', 'validation_error', 'a required request parameter is missing'],
  [ResponseType.THROTTLED, '429', 'rate_limited', 'too many requests: retry with backoff'],
  [ResponseType.QUOTA_EXCEEDED, '429', 'rate_limited', 'the usage plan quota is exhausted'],
  [ResponseType.INVALID_API_KEY, '403', 'forbidden', 'missing or invalid API key'],
  [ResponseType.MISSING_AUTHENTICATION_TOKEN, '404', 'not_found', 'no such route'],
  [ResponseType.WAF_FILTERED, '403', 'request_blocked', 'the request was blocked by the firewall'],
  [ResponseType.DEFAULT_4XX, undefined, 'bad_request', 'the request was refused'],
  [ResponseType.DEFAULT_5XX, undefined, 'service_unavailable', 'the service could not answer; retry later'],
];

/** What both APIs are built from (this REST API and the webhooks' HTTP API). */
export interface ApiFromManifestProps {
  readonly service: string;
  readonly routes: readonly RouteSpec[];
  readonly functionFor: (id: string) => PaymentFunction;
  readonly stageName: string;
  /** Whole stage, every caller of this API. */
  readonly stageThrottle: Throttle;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

export interface ManifestApiProps extends ApiFromManifestProps {
  /** The storefront's key, through its usage plan. */
  readonly storefrontThrottle: Throttle;
}

export class ManifestApi extends Construct {
  readonly api: RestApi;
  readonly apiKey?: IApiKey;
  readonly usagePlan?: UsagePlan;

  constructor(scope: Construct, id: string, props: ManifestApiProps) {
    super(scope, id);

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.api = new RestApi(this, 'Api', {
      restApiName: props.service,
      description: `${props.service}: storefront and operator API`,
      endpointTypes: [EndpointType.REGIONAL],
      // API Gateway writes execution logs through one role per account and region; keep it if the stack goes.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: props.removalPolicy,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        // Errors only, and never request or response bodies: they carry payment details and signatures.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.stageThrottle.rateLimit,
        throttlingBurstLimit: props.stageThrottle.burstLimit,
        methodOptions: routeThrottles(props.routes),
      },
    });

    for (const [type, statusCode, code, message] of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(`Gateway${type.responseType}`, {
        type,
        ...(statusCode ? { statusCode } : {}),
        templates: {
          'application/json': JSON.stringify({
            error: { code, message, request_id: '$context.requestId' },
          }),
        },
      });
    }

    let validator: RequestValidator | undefined;
    let jsonObject: Model | undefined;
    // A function behind several routes (the operator's) gets one invoke permission for this API instead of
    // one per method: CloudFormation allows 500 resources a stack, and the function itself dispatches on the
    // route and refuses any it does not serve. A single-route function keeps a permission scoped to its method.
    const routesPerFunction = new Map<string, number>();
    for (const route of props.routes)
      routesPerFunction.set(route.function, (routesPerFunction.get(route.function) ?? 0) + 1);
    for (const route of props.routes) {
      const target = props.functionFor(route.function);
      const shared = (routesPerFunction.get(route.function) ?? 0) > 1;
      const integration = new LambdaIntegration(
        target.function,
        shared ? { proxy: true, scopePermissionToMethod: false } : { proxy: true, allowTestInvoke: false },
      );
      if (!route.apiKeyRequired) {
        // Public routes: the raw body goes to the handler untouched (the PSP's signature covers its bytes).
        this.api.root
          .resourceForPath(route.path)
          .addMethod(route.method, integration, { apiKeyRequired: false });
        continue;
      }
      validator ??= this.api.addRequestValidator('StorefrontValidator', {
        validateRequestBody: true,
        validateRequestParameters: true,
      });
      const withBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
      if (withBody) {
        jsonObject ??= this.api.addModel('JsonObject', {
          contentType: 'application/json',
          description:
            'Any JSON object: the handler validates its fields (zod) and answers in the error envelope.',
          schema: { schema: JsonSchemaVersion.DRAFT4, title: 'JsonObject', type: JsonSchemaType.OBJECT },
        });
      }
      const pathParameters = [...route.path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? '');
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        apiKeyRequired: true,
        requestValidator: validator,
        requestParameters: Object.fromEntries(pathParameters.map((p) => [`method.request.path.${p}`, true])),
        ...(withBody && jsonObject ? { requestModels: { 'application/json': jsonObject } } : {}),
      });
    }

    if (props.routes.some((route) => route.apiKeyRequired)) {
      this.usagePlan = this.api.addUsagePlan('StorefrontPlan', {
        name: `${props.service}-storefront`,
        description: 'The storefront backend: the only caller of the API-key routes.',
        throttle: props.storefrontThrottle,
      });
      this.usagePlan.addApiStage({ stage: this.api.deploymentStage });
      this.apiKey = this.api.addApiKey('StorefrontKey', {
        description:
          'Storefront backend API key; read its value with `aws apigateway get-api-key --include-value`.',
      });
      this.usagePlan.addApiKey(this.apiKey);
    }

    Validations.of(this.api).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Server-to-server API with no end users: the storefront backend authenticates with an API key bound ' +
          'to a throttled usage plan (behind WAF), and the PSP webhook with its HMAC signature, verified on the ' +
          'raw body before anything else; manifest-checks refuses a route without one of the two decisions.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The role API Gateway uses (account-wide) to write execution logs: AWS maintains this policy for ' +
          'exactly that purpose, and it only allows writing to CloudWatch Logs.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'No end users call this API, so there is no user pool: callers are the storefront backend (API ' +
          'key) and the PSP (signature).',
      },
    );
  }
}

/** Each route's own throttle as a method setting (`/v1/webhooks/psp/POST`). */
function routeThrottles(routes: readonly RouteSpec[]): Record<string, MethodDeploymentOptions> {
  const options: Record<string, MethodDeploymentOptions> = {};
  for (const route of routes) {
    if (!route.throttle) continue;
    // A method setting replaces the stage's for that method: repeat the logging choices.
    options[`${route.path}/${route.method}`] = {
      loggingLevel: MethodLoggingLevel.ERROR,
      dataTraceEnabled: false,
      metricsEnabled: true,
      throttlingRateLimit: route.throttle.rateLimit,
      throttlingBurstLimit: route.throttle.burstLimit,
    };
  }
  return options;
}
