/**
 * The API's edge: a regional WAF web ACL associated with the REST API's stage. In order: a rate-based rule per
 * client IP (a flood is blocked before it costs a Lambda invocation), Amazon's IP reputation list, known bad
 * inputs (Log4j-style and other exploit payloads) and the common rule set (OWASP-style). The common rule set
 * is not applied to the PSP's signature-authenticated routes: their bodies are the PSP's own JSON (URLs and
 * long texts that its body rules can mistake for attacks) and a blocked delivery delays money; their signature
 * is checked first and they have their own throttle. Its body-size rule only counts: WAF inspects 8 KB of a
 * body, the handlers refuse bodies over their own limit (64 KB) with a clear error. Requests are logged with the
 * API key and the PSP signature redacted.
 */
import { ArnFormat, Fn, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ApiWebAclProps {
  readonly service: string;
  /** ARN of the API Gateway stage to protect. */
  readonly stageArn: string;
  readonly stageName: string;
  /** Requests per 5 minutes from one IP before WAF blocks it. */
  readonly rateLimitPer5Minutes: number;
  /** Paths (as in the manifest, e.g. `/v1/webhooks/psp`) the common rule set does not inspect. */
  readonly signatureAuthenticatedPaths: readonly string[];
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

const visibility = (metricName: string) => ({
  cloudWatchMetricsEnabled: true,
  sampledRequestsEnabled: true,
  metricName,
});

function managed(name: string, priority: number, extra: Partial<CfnWebACL.RuleProperty> = {}) {
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
    visibilityConfig: visibility(name),
    ...extra,
  } satisfies CfnWebACL.RuleProperty;
}

export class ApiWebAcl extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);

    // The URI WAF sees on a REST API carries the stage: /<stage>/v1/webhooks/psp.
    const signaturePaths = props.signatureAuthenticatedPaths.map((path): CfnWebACL.StatementProperty => {
      const prefix = path.includes('{') ? path.slice(0, path.indexOf('{')) : path;
      return {
        byteMatchStatement: {
          fieldToMatch: { uriPath: {} },
          positionalConstraint: path.includes('{') ? 'STARTS_WITH' : 'EXACTLY',
          searchString: `/${props.stageName}${prefix}`,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      };
    });
    const [onlyPath] = signaturePaths;
    const notSignatureRoute: CfnWebACL.StatementProperty | undefined =
      onlyPath === undefined
        ? undefined
        : {
            notStatement: {
              statement:
                signaturePaths.length === 1 ? onlyPath : { orStatement: { statements: signaturePaths } },
            },
          };
    const commonRuleSet: CfnWebACL.RuleProperty = {
      name: 'AWSManagedRulesCommonRuleSet',
      priority: 40,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: 'AWSManagedRulesCommonRuleSet',
          ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }],
          ...(notSignatureRoute ? { scopeDownStatement: notSignatureRoute } : {}),
        },
      },
      visibilityConfig: visibility('AWSManagedRulesCommonRuleSet'),
    };

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: `${props.service}: rate limit per IP, IP reputation, known bad inputs, common rule set`,
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${props.service}-web-acl`),
      // WAF answers blocked requests with the API's error envelope.
      customResponseBodies: {
        blocked: {
          contentType: 'APPLICATION_JSON',
          content: '{"error":{"code":"request_blocked","message":"the request was blocked by the firewall"}}',
        },
      },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 10,
          action: {
            block: { customResponse: { responseCode: 429, customResponseBodyKey: 'blocked' } },
          },
          statement: {
            rateBasedStatement: {
              limit: props.rateLimitPer5Minutes,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        managed('AWSManagedRulesAmazonIpReputationList', 20),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 30),
        commonRuleSet,
      ],
    });

    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF logs only to a group named aws-waf-logs-*; the stack id's unique part keeps the name free for a
    // re-created stack while the old group is retained.
    const stackUuid = Fn.select(2, Fn.split('/', Stack.of(this).stackId));
    const logs = new LogGroup(this, 'Logs', {
      logGroupName: Fn.join('', ['aws-waf-logs-', props.service, '-', stackUuid]),
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logs.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [
        { singleHeader: { Name: 'x-api-key' } },
        { singleHeader: { Name: 'stripe-signature' } },
      ],
    });
  }
}
