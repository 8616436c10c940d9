import type { LinePrinter } from './record-handler';

export interface WorkerConsole extends LinePrinter {
  /** Replaces the progress line (a terminal only: elsewhere, e.g. a container's log, it is not written). */
  progress(text: string): void;
}

/** Lines on stdout, warnings on stderr; on a terminal, a progress line kept below the last line. */
export function workerConsole(
  out: NodeJS.WriteStream = process.stdout,
  err: NodeJS.WriteStream = process.stderr,
): WorkerConsole {
  const tty = Boolean(out.isTTY);
  let progressText = '';
  const clear = () => {
    if (tty && progressText) out.write('\r\x1b[2K');
  };
  const redraw = () => {
    if (tty && progressText) out.write(progressText);
  };
  return {
    line(text) {
      clear();
      out.write(`${text}\n`);
      redraw();
    },
    warn(text) {
      clear();
      err.write(`${text}\n`);
      redraw();
    },
    progress(text) {
      if (!tty) return;
      clear();
      progressText = text.slice(0, Math.max(20, (out.columns ?? 100) - 1));
      redraw();
    },
  };
}
