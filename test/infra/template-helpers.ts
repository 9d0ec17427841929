/** Reading a synthesized template: resources by construct, policies of a role, API routes, reference graph. */
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

/** Logical ids each resource depends on: Ref, Fn::GetAtt, ${X} in Fn::Sub, DependsOn. */
function referencesOf(value: unknown, found: Set<string>): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencesOf(item, found);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'Ref' && typeof inner === 'string') found.add(inner);
      else if (key === 'Fn::GetAtt' && Array.isArray(inner)) found.add(String(inner[0]));
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(inner) ? inner[0] : inner;
        for (const match of String(text).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g))
          if (match[1]) found.add(match[1]);
        if (Array.isArray(inner)) referencesOf(inner[1], found);
      } else referencesOf(inner, found);
    }
  }
  return found;
}

/** A dependency cycle among the template's resources, as a list of logical ids, or undefined. */
export function findCycle(template: Template): string[] | undefined {
  const all = resources(template);
  const edges = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(all)) {
    const refs = referencesOf(resource.Properties ?? {}, new Set());
    for (const dependency of asArray(resource.DependsOn)) refs.add(dependency);
    edges.set(
      id,
      [...refs].filter((ref) => ref in all),
    );
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}
