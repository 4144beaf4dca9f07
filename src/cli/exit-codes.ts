// The CLI's exit codes, the same for every command: 0 done, 1 a runtime failure (something went
// wrong while running), 2 a usage error (unknown option, bad flag value, bad settings or limits
// file: fix the command line and run again). Scripts and Kubernetes' restart logic tell them apart.
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad input on the command line or in a file it names; main.ts exits with EXIT_USAGE. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
