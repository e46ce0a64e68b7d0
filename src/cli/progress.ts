// Progress output for long CLI work: a redrawn bar on a terminal, a line every few seconds otherwise.

export interface Progress {
  tick(count?: number): void;
  done(message?: string): void;
}

/** A progress reporter on stderr; silent when `total` is small enough to need none. */
export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  let current = 0;
  let lastLine = 0;
  const started = Date.now();
  const quiet = total < 5;
  const render = (final = false) => {
    if (quiet) return;
    const fraction = total === 0 ? 1 : current / total;
    const rate = current / Math.max(0.001, (Date.now() - started) / 1000);
    const text = `${label} ${current}/${total} (${Math.round(fraction * 100)}%, ${rate.toFixed(rate < 10 ? 1 : 0)}/s)`;
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}${final ? '\n' : ''}`);
    } else if (final || Date.now() - lastLine > 2000) {
      lastLine = Date.now();
      stream.write(`${text}\n`);
    }
  };
  return {
    tick(count = 1) {
      current += count;
      render();
    },
    done(message) {
      current = total;
      render(true);
      if (message) stream.write(`${message}\n`);
    },
  };
}
