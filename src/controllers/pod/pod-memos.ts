// What the pod reconciler remembers about a pod incarnation between reconciles: only what keeps it
// from repeating itself (events, ClientToken generations) or from trusting a lagging cache. Nothing
// here has to survive a restart: losing it costs at most a repeated event; a retired ClientToken
// generation is also written to the pod (attempts.ts), and a create that may meet an earlier
// process's token is checked against EC2 (branch-check.ts).

export interface PodMemo {
  /** Groups last announced with SecurityGroupRequested (so retries do not repeat it). */
  announced?: string;
  backstopWarned?: boolean;
  firstSeenScheduled?: number;
  /** The annotation this controller wrote (the cache may lag behind it). */
  annotated?: string;
  /** ClientToken generation per branch index (bumped after a rollback deleted the ENI). */
  generations: Map<number, number>;
  /** `index:generation` of the create tokens this process has sent (a second send may be answered by a replay). */
  sent: Set<string>;
  lastFailure?: string;
  /** Told that no policy selects it any more (live policies): once. */
  unmatchedWarned?: boolean;
}

/** Memos by pod UID, with the key (ns/name) each belongs to, so a replaced pod's memo is dropped. */
export class PodMemos {
  private readonly byUid = new Map<string, PodMemo>();
  private readonly uidByKey = new Map<string, string>();

  /** The memo of this incarnation, created on first use. */
  of(uid: string, key: string): PodMemo {
    let m = this.byUid.get(uid);
    if (!m) this.byUid.set(uid, (m = { generations: new Map(), sent: new Set() }));
    this.uidByKey.set(key, uid);
    return m;
  }

  get(uid: string): PodMemo | undefined {
    return this.byUid.get(uid);
  }

  delete(uid: string): void {
    this.byUid.delete(uid);
  }

  /** Forget what was remembered about the pod incarnations of a key other than `keep`. */
  forgetOthers(key: string, keep: string | undefined): void {
    const uid = this.uidByKey.get(key);
    if (uid === undefined || uid === keep) return;
    this.byUid.delete(uid);
    this.uidByKey.delete(key);
  }
}
