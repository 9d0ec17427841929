/**
 * The REST API built from the manifest's routes: nested resources from the paths, one Lambda proxy integration
 * per route, the storefront's API key and usage plan on the routes that require it (the PSP's webhook is
 * authenticated by its signature instead), JSON access logs, X-Ray tracing and stage-wide throttling.
 */
import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  type IApiKey,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../manifest';
import type { PaymentFunction } from './payment-function';

export interface Throttle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface ManifestApiProps {
  readonly service: string;
  readonly routes: readonly RouteSpec[];
  readonly functionFor: (id: string) => PaymentFunction;
  readonly stageName: string;
  /** Whole stage, every caller (the webhook included). */
  readonly stageThrottle: Throttle;
  /** The storefront's key, through its usage plan. */
  readonly storefrontThrottle: Throttle;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
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
      description: `${props.service}: storefront API and PSP webhook`,
      endpointTypes: [EndpointType.REGIONAL],
      // API Gateway writes execution logs through one role per account and region; keep it if the stack goes.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: props.removalPolicy,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        // Errors only, and never request or response bodies: they carry payment details and signatures.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: props.stageThrottle.rateLimit,
        throttlingBurstLimit: props.stageThrottle.burstLimit,
      },
    });

    for (const route of props.routes) {
      const target = props.functionFor(route.function);
      this.api.root
        .resourceForPath(route.path)
        .addMethod(
          route.method,
          new LambdaIntegration(target.function, { proxy: true, allowTestInvoke: false }),
          { apiKeyRequired: route.apiKeyRequired },
        );
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
        id: 'AwsSolutions-APIG2',
        reason:
          'Bodies are validated in the handlers with zod schemas; the webhook must receive the raw body ' +
          'untouched to verify the PSP signature, so API Gateway models would validate only part of the API.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF yet: the storefront routes need an API key with a throttled usage plan and the webhook a ' +
          'valid PSP signature. A WAF web ACL (rate-based rules) is a deployment-time addition for production.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Server-to-server API: the storefront authenticates with an API key bound to a usage plan; the PSP ' +
          'webhook is authenticated by its HMAC signature, checked before anything else in its handler.',
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
          'No end users call this API: callers are the storefront backend (API key) and the PSP (signature).',
      },
    );
  }
}
