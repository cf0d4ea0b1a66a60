/**
 * Function settings from environment variables, read once at cold start. A missing
 * or malformed value fails the start with the variable's name and the expected form.
 */
export class EnvReader {
  constructor(private readonly env: Record<string, string | undefined>) {}

  string(name: string, fallback?: string): string {
    const v = this.env[name];
    if (v === undefined || v === '') {
      if (fallback !== undefined) return fallback;
      throw new TypeError(`environment variable ${name} is required`);
    }
    return v;
  }

  optional(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new TypeError(`environment variable ${name}: expected a whole number from ${min} to ${max}, got "${v}"`);
    return n;
  }

  /** `true` or `false`; absent is false. */
  flag(name: string): boolean {
    const v = this.optional(name);
    if (v === undefined || v === 'false') return false;
    if (v === 'true') return true;
    throw new TypeError(`environment variable ${name}: expected true or false, got "${v}"`);
  }

  positive(name: string): number | undefined {
    const v = this.optional(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new TypeError(`environment variable ${name}: expected a positive number, got "${v}"`);
    return n;
  }
}
