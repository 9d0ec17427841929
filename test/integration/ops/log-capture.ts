/**
 * Everything the functions print while a test runs: the runtime runs them in this process, and Powertools
 * (logger and metrics) writes JSON lines to stdout and stderr, so the streams' writes are recorded (and still
 * passed through, so a failing test shows them).
 */
export interface LogCapture {
  /** Every line written since `captureLogs()`. */
  lines(): string[];
  stop(): void;
}

export function captureLogs(): LogCapture {
  const captured: string[] = [];
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => {
      stream.write = original as typeof stream.write;
    });
  }
  return {
    lines: () => captured.join('').split('\n').filter(Boolean),
    stop: () => {
      for (const undo of restore) undo();
    },
  };
}
