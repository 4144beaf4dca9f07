// Runs an async job so that at most one run is in flight; a request made during a run causes
// exactly one more run afterwards. Errors go to `onError` and never escape as rejections.
export function serialRunner(job: () => Promise<void>, onError: (err: unknown) => void, track: (p: Promise<void>) => void = () => {}): () => void {
  let running = false;
  let pending = false;
  const run = (): void => {
    if (running) {
      pending = true;
      return;
    }
    running = true;
    pending = false;
    track(
      job()
        .catch(onError)
        .finally(() => {
          running = false;
          if (pending) run();
        }),
    );
  };
  return run;
}
