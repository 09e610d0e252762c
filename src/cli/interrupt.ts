/**
 * Calls `handler` on SIGINT or SIGTERM instead of letting the signal kill the
 * process, so a stream can be cancelled cleanly. Returns the function that
 * restores the default behaviour.
 */
export function onInterrupt(handler: () => void): () => void {
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
