/**
 * What the functions write to their logs, measured for CloudWatch: bytes per function
 * (Logs ingestion is billed per GB) and the EMF metrics in them (each distinct metric is
 * a custom metric, billed per month), with their sums. The lines themselves are dropped,
 * or appended to a file when one is given (each prefixed with the virtual time and the
 * function): the emulation's own output goes to stderr and, at the end, to stdout.
 */
import { appendFileSync, writeFileSync } from 'node:fs';

export class LogMeter {
  readonly bytes = new Map<string, number>();
  /** `namespace/metric/dimensions` → sum of its values. */
  readonly metrics = new Map<string, number>();
  #write: { out: typeof process.stdout.write; err: typeof process.stderr.write } | undefined;
  #attribute: () => string | undefined = () => undefined;
  #file: string | undefined;
  #buffer: string[] = [];

  /** `file`: where the lines go (truncated now), or nowhere. */
  constructor(file?: string) {
    this.#file = file;
    if (file) writeFileSync(file, '');
  }

  attribute(fn: () => string | undefined): void {
    this.#attribute = fn;
  }

  /** A line of the platform's own (Lambda's REPORT), kept with the functions' lines. */
  platform(fn: string, line: string): void {
    this.#keep(fn, line.endsWith('\n') ? line : line + '\n');
  }

  #keep(fn: string, text: string): void {
    if (!this.#file) return;
    const at = new Date().toISOString();
    for (const line of text.split('\n')) if (line) this.#buffer.push(`${at} ${fn} ${line}\n`);
    if (this.#buffer.length >= 200) this.flush();
  }

  flush(): void {
    if (!this.#file || this.#buffer.length === 0) return;
    appendFileSync(this.#file, this.#buffer.join(''));
    this.#buffer = [];
  }

  /** Lines kept but not yet written reach the file also when the process exits mid-run (Ctrl-C). */
  readonly #flushOnExit = () => this.flush();

  /**
   * Takes over the process's stdout (all of it: the emulation prints its report after
   * `uninstall()`) and what a function writes to stderr (Lambda sends both to the function's
   * log); the emulation's own stderr (its progress) passes through.
   */
  install(): void {
    if (this.#write) return;
    process.on('exit', this.#flushOnExit);
    const out = process.stdout.write;
    const err = process.stderr.write;
    this.#write = { out, err };
    process.stdout.write = this.#writer(() => this.#attribute() ?? '(emulator)', process.stdout, out);
    process.stderr.write = this.#writer(() => this.#attribute(), process.stderr, err);
  }

  /** A stream's write that meters what `owner` attributes to a function, and passes the rest to the stream's own `write`. */
  #writer(owner: () => string | undefined, stream: NodeJS.WriteStream, write: typeof process.stdout.write): typeof process.stdout.write {
    return ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const fn = owner();
      if (fn === undefined) return (write as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      this.bytes.set(fn, (this.bytes.get(fn) ?? 0) + Buffer.byteLength(text));
      if (text.includes('"CloudWatchMetrics"')) this.#metrics(text);
      this.#keep(fn, text);
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  }

  uninstall(): void {
    process.off('exit', this.#flushOnExit);
    this.flush();
    if (this.#write) {
      process.stdout.write = this.#write.out;
      process.stderr.write = this.#write.err;
    }
    this.#write = undefined;
  }

  #metrics(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.includes('"CloudWatchMetrics"')) continue;
      try {
        const emf = JSON.parse(line) as Record<string, unknown> & {
          _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
        };
        for (const d of emf._aws.CloudWatchMetrics) {
          const dims = (d.Dimensions[0] ?? []).map((k) => `${k}=${String(emf[k])}`).join(',');
          for (const m of d.Metrics) {
            const key = `${d.Namespace}/${m.Name}/${dims}`;
            const v = emf[m.Name];
            const sum = Array.isArray(v) ? v.reduce((a: number, b: number) => a + b, 0) : Number(v) || 0;
            this.metrics.set(key, (this.metrics.get(key) ?? 0) + sum);
          }
        }
      } catch {
        // Not EMF after all: counted as bytes only.
      }
    }
  }

  /** Sum of one metric over every dimension set. */
  total(name: string): number {
    let n = 0;
    for (const [key, v] of this.metrics) if (key.split('/')[1] === name) n += v;
    return n;
  }
}
