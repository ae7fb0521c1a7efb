/**
 * A server process that is not one of the app's entries (sqld, moto_server), in its own
 * process group so that stopping it stops whatever it started.
 */
import { spawn } from 'node:child_process';
import type { Child } from './servers';

export function launchProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('close', (code, signal) => done({ code, signal })),
  );
  const stop = async (ms = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  return { child, output: () => out, events: () => [], exited, stop };
}
