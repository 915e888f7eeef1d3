/**
 * Who handles an error on stdout (EPIPE when the reader of `ballast … | head` is gone). By default
 * the process exits at once (see main.ts); a command that runs child processes takes it over, so
 * that it stops them first.
 */
let handler: ((err: NodeJS.ErrnoException) => void) | undefined;

export function setStdoutErrorHandler(h: ((err: NodeJS.ErrnoException) => void) | undefined): void {
  handler = h;
}

export function stdoutErrorHandler(): ((err: NodeJS.ErrnoException) => void) | undefined {
  return handler;
}
