import cliProgress from "cli-progress";

// How far a long import or export has got: a bar with rows/s and time left on a terminal, and a
// plain line every few seconds otherwise (a log, a CI job), where a bar's redraws would be noise.

export interface Progress {
  /** `done` of `total` (bytes of the file, or rows), and the rows handled so far. */
  update(done: number, rows: number): void;
  stop(): void;
}

const rate = (rows: number, since: number) => Math.round(rows / Math.max((Date.now() - since) / 1000, 0.001));

function eta(done: number, total: number, since: number): string {
  if (done <= 0 || total <= 0) return "?";
  const seconds = Math.round(((Date.now() - since) / 1000) * ((total - done) / done));
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${seconds % 60} s` : `${seconds} s`;
}

/** How often a plain progress line is written when not on a terminal: PROGRESS_SECONDS, 5 by default. */
const everyMs = () => Math.max(0.1, Number(process.env.PROGRESS_SECONDS) || 5) * 1000;

export function startProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const since = Date.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}`, stream, hideCursor: true, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(total, 1), 0, { rows: 0, rate: 0 });
    return {
      update: (done, rows) => bar.update(Math.min(done, total), { rows, rate: rate(rows, since) }),
      stop: () => bar.stop(),
    };
  }
  let last = { done: 0, rows: 0 };
  const line = () => {
    const percent = total > 0 ? ` (${Math.min(100, Math.floor((last.done / total) * 100))} %)` : "";
    stream.write(`${label}: ${last.rows} rows${percent}, ${rate(last.rows, since)} rows/s, ETA ${eta(last.done, total, since)}\n`);
  };
  const timer = setInterval(line, everyMs());
  timer.unref();
  return {
    update: (done, rows) => (last = { done, rows }),
    stop: () => clearInterval(timer),
  };
}
