/** Exit status for bad command-line usage (BSD sysexits EX_USAGE). */
export const EXIT_USAGE = 64;

/** A command line that cannot be run as given; userctl prints usage and exits 64. */
export class UsageError extends Error {
  override name = "UsageError";
  constructor(
    message: string,
    /** The usage text of the command that was misused. */
    readonly usage: string,
  ) {
    super(message);
  }
}
