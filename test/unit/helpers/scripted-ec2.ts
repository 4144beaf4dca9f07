// An Ec2Api whose methods answer from a script (one function per method name), for unit tests
// that pin the exact order and inputs of calls. Every call is logged as [method, input, opts]; a
// call the script does not cover rejects with "unexpected call". For tests that need EC2 state
// rather than a script, use FakeEc2 (fake-ec2.ts).
import type { Ec2Api } from '../../../src/aws/ec2-api.js';

export type Step = (input: Record<string, unknown>) => unknown;
export type Ec2Method = keyof Ec2Api;

export function scriptedEc2(script: Partial<Record<Ec2Method, Step>>) {
  const calls: [Ec2Method, Record<string, unknown>, Record<string, unknown>][] = [];
  const call = <T>(method: Ec2Method, input: object, opts: object): Promise<T> => {
    calls.push([method, input as Record<string, unknown>, opts as Record<string, unknown>]);
    const step = script[method];
    if (!step) return Promise.reject(new Error(`unexpected call ${method}`));
    try {
      return Promise.resolve(step(input as Record<string, unknown>) as T);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
  const ec2: Ec2Api = {
    describeInstances: (i, o) => call('describeInstances', i, o),
    describeSubnets: (i, o) => call('describeSubnets', i, o),
    describeSecurityGroups: (i, o) => call('describeSecurityGroups', i, o),
    describeNetworkInterfaces: (i, o) => call('describeNetworkInterfaces', i, o),
    describeTrunkInterfaceAssociations: (i, o) => call('describeTrunkInterfaceAssociations', i, o),
    createNetworkInterface: (i, o) => call('createNetworkInterface', i, o),
    attachNetworkInterface: (i, o) => call('attachNetworkInterface', i, o),
    detachNetworkInterface: (i, o) => call('detachNetworkInterface', i, o),
    modifyNetworkInterfaceAttribute: (i, o) => call('modifyNetworkInterfaceAttribute', i, o),
    deleteNetworkInterface: (i, o) => call('deleteNetworkInterface', i, o),
    associateTrunkInterface: (i, o) => call('associateTrunkInterface', i, o),
    disassociateTrunkInterface: (i, o) => call('disassociateTrunkInterface', i, o),
    createTags: (i, o) => call('createTags', i, o),
    deleteTags: (i, o) => call('deleteTags', i, o),
    createNetworkInterfacePermission: (i, o) => call('createNetworkInterfacePermission', i, o),
  };
  return { ec2, calls, names: () => calls.map((c) => c[0]) };
}
