// The action table: EC2 action name → handler. A handler reads the Query parameters (EC2 wire
// names), calls the world and returns the inner XML of `<ActionResponse>`; errors are thrown as
// Ec2ErrorResponse and rendered by the server.
import type { ActionHandler } from './action-support.js';
import * as eni from './actions-eni.js';
import * as instances from './actions-instances.js';
import * as vpc from './actions-vpc.js';

export type { ActionContext, ActionHandler } from './action-support.js';

export const ACTIONS: Readonly<Record<string, ActionHandler>> = {
  CreateVpc: vpc.createVpc,
  DescribeVpcs: vpc.describeVpcs,
  CreateSubnet: vpc.createSubnet,
  DescribeSubnets: vpc.describeSubnets,
  CreateSecurityGroup: vpc.createSecurityGroup,
  DescribeSecurityGroups: vpc.describeSecurityGroups,
  RunInstances: instances.runInstances,
  TerminateInstances: instances.terminateInstances,
  DescribeInstances: instances.describeInstances,
  DescribeInstanceTypes: instances.describeInstanceTypes,
  CreateNetworkInterface: eni.createNetworkInterface,
  DeleteNetworkInterface: eni.deleteNetworkInterface,
  DescribeNetworkInterfaces: eni.describeNetworkInterfaces,
  AttachNetworkInterface: eni.attachNetworkInterface,
  DetachNetworkInterface: eni.detachNetworkInterface,
  ModifyNetworkInterfaceAttribute: eni.modifyNetworkInterfaceAttribute,
  CreateNetworkInterfacePermission: eni.createNetworkInterfacePermission,
  AssociateTrunkInterface: eni.associateTrunkInterface,
  DisassociateTrunkInterface: eni.disassociateTrunkInterface,
  DescribeTrunkInterfaceAssociations: eni.describeTrunkInterfaceAssociations,
  CreateTags: eni.createTags,
  DeleteTags: eni.deleteTags,
};

