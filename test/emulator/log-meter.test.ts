import { afterEach, describe, expect, it, vi } from 'vitest';
import { LogMeter } from '../../emulator/log-meter.js';

const realStderr = process.stderr.write;
afterEach(() => {
  process.stderr.write = realStderr;
});

describe("the emulation's CloudWatch Logs meter", () => {
  it("counts what a function writes to stderr as its log, as Lambda does, and lets the emulation's own stderr through", () => {
    const passed = vi.fn(() => true);
    process.stderr.write = passed as never;
    let running: string | undefined;
    const meter = new LogMeter();
    meter.attribute(() => running);
    meter.install();
    try {
      running = 'Normalise';
      process.stderr.write('a warning from a library\n');
      running = undefined;
      process.stderr.write('  day 0.25 of 1: progress\n');
    } finally {
      meter.uninstall();
    }
    expect(meter.bytes.get('Normalise')).toBe('a warning from a library\n'.length);
    expect(passed).toHaveBeenCalledTimes(1);
    expect(passed).toHaveBeenCalledWith('  day 0.25 of 1: progress\n');
    expect(process.stderr.write).toBe(passed);
  });
});
