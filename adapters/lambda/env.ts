/** A setting that is missing or has the wrong form: the function cannot start. */
export class SettingError extends TypeError {}

/**
 * Function settings from environment variables, read once at cold start. A missing
 * or malformed value fails the start with the variable's name and the expected form.
 */
export class EnvReader {
  /** @param describe how an error names a variable (`scraper invoke` names the flag that set it) */
  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly describe: (name: string) => string = (name) => `environment variable ${name}`,
  ) {}

  string(name: string, fallback?: string): string {
    const v = this.env[name];
    if (v === undefined || v === '') {
      if (fallback !== undefined) return fallback;
      throw new SettingError(`${this.describe(name)} is required`);
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
    if (!/^\d+$/.test(v) || n < min || n > max)
      throw new SettingError(`${this.describe(name)}: expected a whole number from ${min} to ${max}, got "${v}"`);
    return n;
  }

  /** `true` or `false`; absent is false. */
  flag(name: string): boolean {
    const v = this.optional(name);
    if (v === undefined || v === 'false') return false;
    if (v === 'true') return true;
    throw new SettingError(`${this.describe(name)}: expected true or false, got "${v}"`);
  }

  positive(name: string, fallback?: number): number | undefined {
    const v = this.optional(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) throw new SettingError(`${this.describe(name)}: expected a positive number, got "${v}"`);
    return n;
  }

  /** The value through `parse`, whose error message says the expected form; absent is undefined. */
  parsed<T>(name: string, parse: (value: string) => T): T | undefined {
    const v = this.optional(name);
    if (v === undefined) return undefined;
    try {
      return parse(v);
    } catch (e) {
      throw new SettingError(`${this.describe(name)}: ${(e as Error).message}`);
    }
  }
}
