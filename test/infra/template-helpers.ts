/** Reading a synthesized template: resources by construct, policies of a role, API routes. */
import type { CfnElement } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { PaymentsStack } from '../../lib/payments-stack';

export type Json = Record<string, unknown>;

export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Json;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: unknown[];
}

export function resources(template: Template): Record<string, CfnResourceJson> {
  return (template.toJSON() as { Resources: Record<string, CfnResourceJson> }).Resources;
}

export function logicalId(stack: PaymentsStack, construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.getLogicalId(element);
}

export function propsOf(template: Template, id: string): Json {
  const resource = resources(template)[id];
  if (!resource) throw new Error(`no resource ${id} in the template`);
  return resource.Properties ?? {};
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every Allow/Deny statement of the policies attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const statements: Statement[] = [];
  for (const resource of Object.values(resources(template))) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = asArray(resource.Properties?.Roles as unknown[] | undefined);
    if (!roles.some((role) => JSON.stringify(role) === JSON.stringify({ Ref: roleLogicalId }))) continue;
    const document = resource.Properties?.PolicyDocument as { Statement: Json[] };
    for (const statement of document.Statement) {
      statements.push({
        Effect: String(statement.Effect),
        Action: asArray(statement.Action as string | string[]),
        Resource: asArray(statement.Resource),
      });
    }
  }
  return statements;
}

/** True when `value` (a resolved CloudFormation value) mentions the logical id anywhere. */
export function mentions(value: unknown, id: string): boolean {
  return JSON.stringify(value).includes(`"${id}"`);
}

export interface RouteJson {
  readonly method: string;
  readonly path: string;
  readonly apiKeyRequired: boolean;
  readonly integrationTarget: unknown;
}

/** API Gateway methods with their full resource paths, rebuilt from the Resource tree. */
export function routesIn(template: Template): RouteJson[] {
  const all = resources(template);
  const restApis = Object.keys(all).filter((id) => all[id]?.Type === 'AWS::ApiGateway::RestApi');
  const pathOf = (parent: unknown): string => {
    const ref = (parent as { Ref?: string }).Ref;
    if (ref) {
      const resource = all[ref];
      if (!resource) throw new Error(`unknown API resource ${ref}`);
      return `${pathOf(resource.Properties?.ParentId)}/${String(resource.Properties?.PathPart)}`;
    }
    const getAtt = (parent as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt && restApis.includes(getAtt[0]) && getAtt[1] === 'RootResourceId') return '';
    throw new Error(`unexpected API parent ${JSON.stringify(parent)}`);
  };
  return Object.values(all)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method')
    .map((r) => ({
      method: String(r.Properties?.HttpMethod),
      path: pathOf(r.Properties?.ResourceId) || '/',
      apiKeyRequired: r.Properties?.ApiKeyRequired === true,
      integrationTarget: (r.Properties?.Integration as Json | undefined)?.Uri,
    }));
}
