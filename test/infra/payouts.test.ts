/** The pay-out resources in the stack built from the real manifest: the Standard state machine, its functions, routes. */
import { beforeAll, describe, expect, it } from 'vitest';
import { manifest } from '../../lib/manifest';
import { type Synthesized, synth } from './synth';
import { logicalId, mentions, propsOf, resources, routesIn } from './template-helpers';

describe('pay-out in the stack from the real manifest', () => {
  let built: Synthesized;
  beforeAll(() => {
    built = synth(manifest);
  }, 180_000);

  it('builds pay-out as a STANDARD state machine whose task-token wait times out into a lookup', () => {
    const { stack, template } = built;
    const props = propsOf(template, logicalId(stack, stack.stateMachine('pay-out')));
    expect(props.StateMachineType).toBe('STANDARD');
    const definition = JSON.parse(String(props.DefinitionString)) as {
      States: Record<
        string,
        {
          Resource?: string;
          TimeoutSecondsPath?: string;
          Catch?: { ErrorEquals: string[]; Next: string }[];
        }
      >;
    };
    const wait = definition.States.AwaitResult;
    expect(wait?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    // The wait is the provider's usual time, carried by the execution's input (set per provider at start).
    expect(wait?.TimeoutSecondsPath).toBe('$.await_timeout_seconds');
    expect(wait?.Catch?.find((c) => c.ErrorEquals.includes('States.Timeout'))?.Next).toBe('LookUpAtProvider');
  });

  it('deploys the pay-out functions and routes', () => {
    const { stack, template } = built;
    const all = resources(template);
    for (const fn of [
      'put-seller',
      'pause-seller-payouts',
      'create-payout',
      'get-payout',
      'list-seller-payouts',
      'payout-submit',
      'payout-await-result',
      'sweep-payouts',
    ]) {
      expect(all[logicalId(stack, stack.fn(fn).function)]?.Type, fn).toBe('AWS::Lambda::Function');
    }
    const routes = routesIn(template).map((r) => `${r.method} ${r.path} ${r.apiKeyRequired}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'PUT /v1/sellers/{seller_account} true',
        'POST /v1/sellers/{seller_account}/payouts/pause true',
        'POST /v1/sellers/{seller_account}/payouts/resume true',
        'GET /v1/sellers/{seller_account}/payouts true',
        'POST /v1/payouts true',
        'GET /v1/payouts/{payout_id} true',
      ]),
    );
    const schedules = Object.values(all).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(
      schedules.some((r) => mentions(r.Properties, logicalId(stack, stack.fn('sweep-payouts').function))),
    ).toBe(true);
  });
});
