export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One JSON line per event: what Workers logs, journald and docker logs all read well. */
export const logLine = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) =>
  JSON.stringify({ level, message, ...fields });

export const consoleLogger: Logger = {
  info: (message, fields) => console.log(logLine('info', message, fields)),
  warn: (message, fields) => console.warn(logLine('warn', message, fields)),
  error: (message, fields) => console.error(logLine('error', message, fields)),
};
