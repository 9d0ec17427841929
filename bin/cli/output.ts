/** The CLI's output: `--json` prints one JSON document on stdout; otherwise short human lines, and a progress bar on stderr. */

export interface Output {
  readonly json: boolean;
  result(value: unknown, human: () => string): void;
  info(line: string): void;
  progress(label: string, total: number): Progress;
}

export interface Progress {
  tick(done: number): void;
  end(): void;
}

export function output(
  json: boolean,
  write: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s),
): Output {
  return {
    json,
    result(value, human) {
      write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    info(line) {
      if (!json) err(`${line}\n`);
    },
    progress(label, total) {
      const width = 30;
      const draw = (done: number) => {
        if (json) return;
        const ratio = total > 0 ? Math.min(1, done / total) : 1;
        const filled = Math.round(ratio * width);
        const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
        err(`\r${label} [${bar}] ${done}/${total}`);
      };
      draw(0);
      return {
        tick: draw,
        end: () => {
          if (!json) err('\n');
        },
      };
    },
  };
}

export function table(rows: readonly (readonly unknown[])[]): string {
  const text = rows.map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = text[0]?.map((_, i) => Math.max(...text.map((r) => (r[i] ?? '').length))) ?? [];
  return text
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
