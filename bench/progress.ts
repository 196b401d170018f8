/**
 * A progress bar for long benchmark runs, on stderr: redrawn in place on a terminal, one line per
 * step in a log (CI), with elapsed time and an estimate of what is left.
 */
export interface ProgressBar {
  /** Starts step `label`; the previous step counts as done. */
  step(label: string): void;
  done(): void;
}

const clock = (ms: number) => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

export function progressBar(total: number, title: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const start = performance.now();
  const tty = stream.isTTY === true;
  let n = 0;
  const draw = (label: string) => {
    const elapsed = performance.now() - start;
    const width = 28;
    const filled = Math.round((n / total) * width);
    const eta = n > 0 ? ` ~${clock((elapsed / n) * (total - n))} left` : '';
    const line = `${title} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total} ${clock(elapsed)}${eta}  ${label}`;
    if (tty) stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 120) - 1)}`);
    else stream.write(`${line}\n`);
  };
  let current: string | undefined;
  return {
    step(label) {
      if (current !== undefined) n++;
      current = label;
      draw(label);
    },
    done() {
      if (current !== undefined) n++;
      current = undefined;
      draw('done');
      if (tty) stream.write('\n');
    },
  };
}
