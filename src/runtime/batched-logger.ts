import { consoleLogger, type Logger, logLine } from '../lib/logger';

/**
 * The Node/Bun logger: the same JSON lines as `consoleLogger`, but info lines (one per request,
 * from the access log) are gathered and written once per turn of the event loop. A write to a
 * pipe or file is a synchronous system call here, and one per request was a visible share of a
 * small request's CPU. Warnings and errors go out at once, after any info lines waiting. Whatever is
 * waiting is written before the process exits, on an uncaught error too.
 */
function batchedLogger(out: { write(chunk: string): unknown }): Logger {
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (!pending) return;
    const chunk = pending;
    pending = '';
    out.write(chunk);
  };
  process.on('exit', flush);
  return {
    info(message, fields) {
      pending += `${logLine('info', message, fields)}\n`;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    warn(message, fields) {
      flush();
      consoleLogger.warn(message, fields);
    },
    error(message, fields) {
      flush();
      consoleLogger.error(message, fields);
    },
  };
}

let shared: Logger | undefined;

/** The process's one batched logger on stdout (one exit hook, however many servers a test starts). */
export const stdoutLogger = (): Logger => (shared ??= batchedLogger(process.stdout));
