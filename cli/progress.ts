import { formatBytes } from '../core/report.js';
import type { RunStats } from '../core/run-stats.js';

export interface ProgressOptions {
  /** Items expected, when known up front (bid histories add to it as they are found). */
  expected?: number;
  stream?: NodeJS.WriteStream;
  /** Non-TTY: one line per interval. @default 5000 */
  intervalMs?: number;
  quiet?: boolean;
  /** A rebuild from stored raw objects: no requests, objects rebuilt rather than fetched. */
  rebuild?: boolean;
}

/**
 * A progress bar on a terminal (redrawn in place on stderr), a line every few
 * seconds otherwise (logs, CI).
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #started = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastWidth = 0;

  constructor(
    private readonly stats: RunStats,
    private readonly options: ProgressOptions = {},
  ) {
    this.#stream = options.stream ?? process.stderr;
    this.#tty = Boolean(this.#stream.isTTY);
  }

  start(): void {
    if (this.options.quiet) return;
    this.#timer = setInterval(() => this.#draw(), this.#tty ? 120 : (this.options.intervalMs ?? 5000));
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.options.quiet) return;
    this.#draw();
    if (this.#tty) this.#stream.write('\n');
  }

  line(): string {
    const s = this.stats;
    const done = s.totalFinished();
    const planned = Math.max(s.totalPlanned(), (this.options.expected ?? 0) + s.planned.bids);
    const secs = (Date.now() - this.#started) / 1000;
    const rps = secs > 0 ? s.requests / secs : 0;
    const parts = this.options.rebuild
      ? [
          `${done}/${planned || '?'} raw objects`,
          `${s.total('fetched')} rebuilt`,
          ...(s.total('skipped') > 0 ? [`${s.total('skipped')} skipped`] : []),
          `${s.total('empty')} empty`,
          `${s.total('quarantined')} quarantined`,
          `${secs.toFixed(1)} s`,
        ]
      : [
          `${done}/${planned || '?'} items`,
          `${rps.toFixed(0)} req/s`,
          `${s.total('fetched')} fetched`,
          `${s.retries} retried`,
          `${s.throttled} throttled`,
          `${s.total('missing')} missing`,
          ...(s.total('redirected') > 0 ? [`${s.total('redirected')} redirected`] : []),
          `${s.total('quarantined')} quarantined`,
          formatBytes(s.bytesReceived),
          `${secs.toFixed(1)} s`,
        ];
    if (!this.#tty || !planned) return parts.join(' · ');
    const width = 24;
    const filled = Math.min(width, Math.round((done / planned) * width));
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${parts.join(' · ')}`;
  }

  #draw(): void {
    const text = this.line();
    if (this.#tty) {
      this.#stream.write(`\r${text.padEnd(this.#lastWidth)}`);
      this.#lastWidth = text.length;
    } else this.#stream.write(`${text}\n`);
  }
}
