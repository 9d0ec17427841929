/**
 * cdk-nag (AwsSolutions) acknowledgements. cdk-nag 3 acknowledges one finding at a time, by an id that names
 * the exact wildcard (`AwsSolutions-IAM5[Resource::<TableLogicalId.Arn>/index/*]`): the helpers here build
 * that id from the resource itself, so each grant acknowledges precisely the wildcard it creates and nothing
 * else. Every acknowledgement carries its reason.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The flat form cdk-nag gives a CloudFormation value: `{ "Fn::GetAtt": ["T", "Arn"] }` is `<T.Arn>`. */
export function flattenForNag(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    const join = node['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flattenForNag).join(delimiter);
    }
    if ('Fn::Sub' in node) return flattenForNag(node['Fn::Sub']);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flattenForNag(getAtt[0])}.${flattenForNag(getAtt[1])}>`;
    if ('Ref' in node) return `<${flattenForNag(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** Acknowledge the wildcard in `resource` (an ARN, possibly with tokens) on the policies under `scope`. */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenForNag(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

export function acknowledgeWildcardAction(scope: IConstruct, action: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
}

/** Findings on constructs CDK adds to the stack itself (singletons), not on anything the manifest declares. */
export function acknowledgeStackFindings(stack: Stack): void {
  for (const child of stack.node.children) {
    // The singleton function CDK uses to put S3 bucket notifications (Custom::S3BucketNotifications).
    if (child.node.id.startsWith('BucketNotificationsHandler')) {
      Validations.of(child).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK-managed custom resource that configures bucket notifications at deploy time; it only writes ' +
          'its own logs with this policy and is not part of the payment path.',
      });
    }
  }
}
