/* eslint-disable @typescript-eslint/require-await -- the fake implements async methods without awaiting */
// A scriptable stand-in for client-node's ListWatch behind SupervisedInformer (its `factory`):
// start() runs `script` (by default: connect, list, add every item), tests fire events with emit().
import type { KubernetesObject } from '@kubernetes/client-node';
import type { InnerInformer, InnerInformerArgs } from '../../../src/kube/informer.js';

export class FakeInner<T extends KubernetesObject = KubernetesObject> implements InnerInformer<T> {
  cbs: Record<string, Array<(x?: unknown) => void>> = { add: [], update: [], delete: [], error: [], connect: [] };
  starts = 0;
  stops = 0;
  script: (self: FakeInner<T>) => Promise<void> = async (self) => {
    self.emit('connect');
    const list = await self.args.list();
    for (const o of list.items) self.emit('add', o);
  };
  constructor(public args: InnerInformerArgs<T>) {}
  on(verb: 'add' | 'update' | 'delete', cb: (obj: T) => void): void;
  on(verb: 'error' | 'connect', cb: (err?: unknown) => void): void;
  on(verb: string, cb: (x: never) => void): void {
    this.cbs[verb]!.push(cb as (x?: unknown) => void);
  }
  emit(verb: string, x?: unknown): void {
    for (const cb of this.cbs[verb]!) cb(x);
  }
  async start(): Promise<void> {
    this.starts++;
    await this.script(this);
  }
  async stop(): Promise<void> {
    this.stops++;
  }
}
