/**
 * Starts an engine as a child process that cannot outlive us: a small shell guard runs the engine and kills
 * it when our process disappears, even if we are killed with SIGKILL and never run an exit handler.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export interface GuardedProcess {
  readonly pid: number | undefined;
  /** True once the engine (and its guard) exited: a readiness probe must not keep waiting. */
  readonly exited: boolean;
  stop(): Promise<void>;
}

/** Asks the kernel for a free port on loopback. A stale engine on a fixed port can never answer for us. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not allocate a port'));
      });
    });
  });
}

// Runs the engine, and stops it when we go (TERM, then KILL if it has not exited within 5 s): on a signal
// from us, or when our process is gone (checked twice a second), even if we were killed with SIGKILL.
const GUARD_SCRIPT = `
"$@" &
child=$!
stop_child() {
  kill -TERM $child 2>/dev/null
  for _ in $(seq 50); do kill -0 $child 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL $child 2>/dev/null
}
trap 'stop_child; exit 0' TERM INT HUP
while kill -0 "$WATCHED_PID" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done
stop_child
wait $child
`;

export function spawnGuarded(
  command: string,
  args: readonly string[],
  options: { cwd?: string; name: string; onOutput?: (line: string) => void },
): GuardedProcess {
  const child: ChildProcess = spawn('bash', ['-c', GUARD_SCRIPT, options.name, command, ...args], {
    cwd: options.cwd,
    env: { ...process.env, WATCHED_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.onOutput?.(line);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  let hasExited = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      hasExited = true;
      resolve();
    }),
  );
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid,
    get exited() {
      return hasExited;
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        // The guard escalates to SIGKILL on the engine after 5 s; this is the last resort for the guard itself.
        const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** Polls `probe` until it resolves true or the deadline passes. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
  /** Gives up at once when this answers true (the process being probed has exited). */
  hopeless: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (hopeless()) throw new Error(`${what} exited before it was ready`, { cause: lastError });
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`, { cause: lastError });
}
