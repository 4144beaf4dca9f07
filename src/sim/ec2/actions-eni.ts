// Network interfaces, trunk associations and tags.
import { missingParameter } from './errors.js';
import { compileFilters, matchesAll, type FilterSet } from './filters.js';
import { queryEnis } from './eni-query.js';
import { collectPage, pageRequest } from './pagination.js';
import { filters, listOf, optBool, optInt, optString, reqInt, reqString, tagSpecifications, tagsOf } from './query-params.js';
import { renderAssociation, renderEni, renderPermission } from './render.js';
import type { TrunkAssociation } from './world-types.js';
import { el, list, wrap } from './xml.js';
import { idempotent, tagFilterOnly, type ActionHandler } from './action-support.js';

export const createNetworkInterface: ActionHandler = (ctx, p) =>
  idempotent(ctx, 'CreateNetworkInterface', p, () => {
    const interfaceType = optString(p, 'InterfaceType');
    const description = optString(p, 'Description');
    const privateIpAddress = optString(p, 'PrivateIpAddress');
    const secondary = optInt(p, 'SecondaryPrivateIpAddressCount', 0);
    const eni = ctx.world.createNetworkInterface({
      subnetId: reqString(p, 'SubnetId'),
      groups: listOf(p, 'SecurityGroupId'),
      tags: tagSpecifications(p, 'network-interface'),
      ...(interfaceType !== undefined ? { interfaceType } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(privateIpAddress !== undefined ? { privateIpAddress } : {}),
      ...(secondary !== undefined ? { secondaryPrivateIpAddressCount: secondary } : {}),
    });
    return wrap('networkInterface', renderEni(ctx.world, eni)) + el('clientToken', p.get('ClientToken'));
  });

export const deleteNetworkInterface: ActionHandler = (ctx, p) => {
  ctx.world.deleteNetworkInterface(reqString(p, 'NetworkInterfaceId'));
  return el('return', true);
};

export const describeNetworkInterfaces: ActionHandler = (ctx, p) => {
  const ids = listOf(p, 'NetworkInterfaceId');
  const page = pageRequest(p, { min: 5, max: 1000 }, ids.length > 0);
  const r = queryEnis(ctx.world, ids, filters(p), page);
  return list('networkInterfaceSet', r.items, (e) => renderEni(ctx.world, e)) + el('nextToken', r.nextToken);
};

export const attachNetworkInterface: ActionHandler = (ctx, p) => {
  const att = ctx.world.attachNetworkInterface(
    reqString(p, 'NetworkInterfaceId'),
    reqString(p, 'InstanceId'),
    reqInt(p, 'DeviceIndex'),
    optInt(p, 'NetworkCardIndex', 0),
  );
  return el('attachmentId', att.attachmentId) + el('networkCardIndex', att.networkCardIndex);
};

export const detachNetworkInterface: ActionHandler = (ctx, p) => {
  ctx.world.detachNetworkInterface(reqString(p, 'AttachmentId'), optBool(p, 'Force') ?? false);
  return el('return', true);
};

export const modifyNetworkInterfaceAttribute: ActionHandler = (ctx, p) => {
  const groups = listOf(p, 'SecurityGroupId');
  const attachmentId = p.get('Attachment.AttachmentId');
  const dot = optBool(p, 'Attachment.DeleteOnTermination');
  if ((attachmentId === undefined) !== (dot === undefined)) {
    throw missingParameter(attachmentId === undefined ? 'Attachment.AttachmentId' : 'Attachment.DeleteOnTermination');
  }
  const description = p.get('Description.Value');
  const sdc = optBool(p, 'SourceDestCheck.Value');
  ctx.world.modifyNetworkInterfaceAttribute(reqString(p, 'NetworkInterfaceId'), {
    ...(groups.length > 0 ? { groups } : {}),
    ...(description !== undefined ? { description } : {}),
    ...(sdc !== undefined ? { sourceDestCheck: sdc } : {}),
    ...(attachmentId !== undefined && dot !== undefined ? { attachment: { attachmentId, deleteOnTermination: dot } } : {}),
  });
  return el('return', true);
};

export const createNetworkInterfacePermission: ActionHandler = (ctx, p) => {
  const perm = ctx.world.createNetworkInterfacePermission(
    reqString(p, 'NetworkInterfaceId'),
    optString(p, 'AwsAccountId'),
    optString(p, 'AwsService'),
    reqString(p, 'Permission'),
  );
  return wrap('interfacePermission', renderPermission(perm));
};

// ---------------------------------------------------------------- trunking

export const associateTrunkInterface: ActionHandler = (ctx, p) =>
  idempotent(ctx, 'AssociateTrunkInterface', p, () => {
    const assoc = ctx.world.associateTrunkInterface(
      reqString(p, 'BranchInterfaceId'),
      reqString(p, 'TrunkInterfaceId'),
      reqInt(p, 'VlanId'),
    );
    return wrap('interfaceAssociation', renderAssociation(assoc)) + el('clientToken', p.get('ClientToken'));
  });

export const disassociateTrunkInterface: ActionHandler = (ctx, p) =>
  idempotent(ctx, 'DisassociateTrunkInterface', p, () => {
    ctx.world.disassociateTrunkInterface(reqString(p, 'AssociationId'));
    return el('return', true) + el('clientToken', p.get('ClientToken'));
  });

export const describeTrunkInterfaceAssociations: ActionHandler = (ctx, p) => {
  const w = ctx.world;
  const set: FilterSet<TrunkAssociation> = {
    tags: tagFilterOnly,
    fields: {
      'association-id': (a) => a.associationId,
      'trunk-interface-association.branch-interface-id': (a) => a.branchInterfaceId,
      'trunk-interface-association.trunk-interface-id': (a) => a.trunkInterfaceId,
      'branch-interface-id': (a) => a.branchInterfaceId,
      'trunk-interface-id': (a) => a.trunkInterfaceId,
      'vlan-id': (a) => String(a.vlanId),
      'gre-key': () => undefined,
    },
  };
  const ids = listOf(p, 'AssociationId');
  const compiled = compileFilters(set, filters(p));
  const page = pageRequest(p, { min: 5, max: 255 }, ids.length > 0);
  const wanted = ids.length > 0 ? new Set(ids.map((id) => w.requireAssociation(id).associationId)) : undefined;
  const r = collectPage(
    w.allAssociations(),
    (a) => a.seq,
    (a) => (wanted === undefined || wanted.has(a.associationId)) && matchesAll(compiled, a),
    page,
  );
  return list('interfaceAssociationSet', r.items, renderAssociation) + el('nextToken', r.nextToken);
};

// ---------------------------------------------------------------- tags

export const createTags: ActionHandler = (ctx, p) => {
  ctx.world.createTags(listOf(p, 'ResourceId'), tagsOf(p));
  return el('return', true);
};

export const deleteTags: ActionHandler = (ctx, p) => {
  ctx.world.deleteTags(listOf(p, 'ResourceId'), tagsOf(p));
  return el('return', true);
};

