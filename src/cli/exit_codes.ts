// Exit codes of every sddfsim command, and the error a command throws to end with one of them.

/** Everything went as asked. */
export const EXIT_OK = 0;
/** The input was fine but a run failed, or a replay or comparison found a difference. */
export const EXIT_FAILED = 1;
/** Bad usage or bad input: unknown option, invalid scenario, file that would be overwritten. */
export const EXIT_USAGE = 2;

export type ExitCode = typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_USAGE;

/**
 * A problem to report to the user as a message and an exit code, never as a stack trace.
 * Commands throw it; main() prints the message on stderr and returns the code.
 */
export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** "Cannot X: reason" for bad usage or input (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** A run that failed (exit 1). */
export function runFailure(message: string): CliError {
  return new CliError(message, EXIT_FAILED);
}
