// Bearer-token authentication: each sandbox identity has a token; unknown tokens get 401.
import { randomBytes } from 'node:crypto';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
}

export type IdentityName = 'admin' | 'controller' | 'awsNode' | 'kubelet' | 'scheduler';

export type Tokens = Record<IdentityName, string>;

export const IDENTITIES: Record<IdentityName, { username: string; groups: string[] }> = {
  admin: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
  controller: {
    username: 'system:serviceaccount:kube-system:vpc-resource-controller',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  },
  awsNode: {
    username: 'system:serviceaccount:kube-system:aws-node',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  },
  kubelet: { username: 'system:node:sandbox', groups: ['system:nodes', 'system:authenticated'] },
  scheduler: { username: 'system:kube-scheduler', groups: ['system:authenticated'] },
};

export function generateTokens(given: Partial<Tokens> = {}): Tokens {
  const t = (name: IdentityName): string => given[name] ?? `${name}-${randomBytes(16).toString('hex')}`;
  return { admin: t('admin'), controller: t('controller'), awsNode: t('awsNode'), kubelet: t('kubelet'), scheduler: t('scheduler') };
}

export class Authenticator {
  private readonly byToken = new Map<string, UserInfo>();

  constructor(tokens: Tokens) {
    for (const [name, token] of Object.entries(tokens) as [IdentityName, string][]) {
      this.byToken.set(token, { username: IDENTITIES[name].username, groups: [...IDENTITIES[name].groups] });
    }
  }

  /** The user for an `Authorization` header value, or undefined (→ 401). */
  authenticate(header: string | undefined): UserInfo | undefined {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? this.byToken.get(m[1] as string) : undefined;
  }
}
