// A run with a long command line re-runs itself with its arguments on a pipe. onnxruntime on Linux
// reads the process's command line (/proc/self/cmdline) when it starts and matches it with a
// recursive regular expression: from about 25,000 characters on, that overflows the native stack
// and the process dies with SIGSEGV before any model is loaded.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const ARGUMENTS_FD = 'TRANSFORMER_INSPECTOR_ARGUMENTS_FD';
/** Command lines up to this many characters are left as they are; the crash needs six times more. */
const LONGEST_KEPT_COMMAND_LINE = 4096;

/** This run's arguments: from the pipe when it was re-run, else from the command line. */
export function argumentsOfThisRun(): string[] {
  const fd = process.env[ARGUMENTS_FD];
  if (fd === undefined) return process.argv.slice(2);
  // Children of this run (none today) must not read a pipe that is not theirs.
  delete process.env[ARGUMENTS_FD];
  const parsed: unknown = JSON.parse(readFileSync(Number(fd), 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every((arg) => typeof arg === 'string')) throw new Error(`${ARGUMENTS_FD} did not carry a list of arguments`);
  return parsed;
}

/** Whether this process's own command line is long enough to be moved to a pipe. */
export function commandLineTooLong(): boolean {
  return [...process.execArgv, ...process.argv].reduce((sum, arg) => sum + arg.length + 1, 0) > LONGEST_KEPT_COMMAND_LINE;
}

/**
 * Runs this CLI again in a child whose command line is short, the arguments written to a pipe
 * (fd 3); resolves with its exit code. Standard input, output and error are the child's own.
 */
export function runWithArgumentsOnAPipe(args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, [ARGUMENTS_FD]: '3' },
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const forwarded = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of forwarded) process.on(signal, handler);
  const pipe = child.stdio[3] as NodeJS.WritableStream;
  // A child that ends before reading its arguments reports that itself.
  pipe.on('error', () => undefined);
  pipe.end(JSON.stringify(args));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      for (const [name, handler] of forwarded) process.off(name, handler);
      // A child killed by a signal ends this process by the same signal.
      if (signal) process.kill(process.pid, signal);
      else resolve(code ?? 1);
    });
  });
}
