import type { ProcessFigures } from '../core/report.js';

/** The whole process so far, start-up included: what a user waits for and pays. */
export function processFigures(firstRequestMs?: number): ProcessFigures {
  const cpu = process.cpuUsage();
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    uptimeSeconds: process.uptime(),
    firstRequestSeconds: firstRequestMs === undefined ? undefined : firstRequestMs / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
