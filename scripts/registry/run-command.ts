// One command of the registry e2e test, as a user would type it: its output kept, a time limit, and a failure that
// shows the command, where it ran, its exit and the end of what it printed.
import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  /** Resolve on a non-zero exit too (the caller checks `code`). */
  readonly allowFailure?: boolean;
  readonly log?: (line: string) => void;
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout then stderr. */
  readonly output: string;
}

/**
 * Runs `command args` in `cwd`; resolves with what it printed (stdout, stderr) and its exit code. Rejects on a non-zero
 * exit unless `allowFailure`, and on the time limit (the process group is killed).
 */
export function runCommand(command: string, args: readonly string[], { cwd, env = process.env, timeoutMs = 600_000, allowFailure = false, log }: RunOptions): Promise<RunResult> {
  const shown = `${command} ${args.join(' ')}`;
  log?.(`$ ${shown}    (in ${cwd})`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the command and what it started, by its own group id
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = { code: code ?? -1, stdout, stderr, output: `${stdout}${stderr}` };
      if (timedOut || (code !== 0 && !allowFailure)) {
        const why = timedOut ? `ran past ${timeoutMs / 1000} s` : `exited ${code ?? signal}`;
        reject(new Error(`\`${shown}\` in ${cwd} ${why}:\n${result.output.slice(-6000)}`));
      } else resolve(result);
    });
  });
}
