import { appendFileSync } from 'node:fs';

let thread = '?';
let file;

export function initialize(data) {
  thread = data.thread;
  file = data.file;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (file) appendFileSync(file, `${thread} ${resolved.url}\n`);
  return resolved;
}
