// Counts writes in flight so that stop() can wait for them: an agent that stops while a request
// is still on its way would otherwise hit a server that is already shutting down.
export class Inflight {
  private readonly pending = new Set<Promise<unknown>>();

  track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const done = (): void => {
      this.pending.delete(p);
    };
    p.then(done, done);
    return p;
  }

  /** Resolves once nothing is in flight, or after `timeoutMs`. Never rejects. */
  async drain(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
