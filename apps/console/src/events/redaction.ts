/**
 * What the console never shows: values under a name that says "secret". Integration events carry no
 * secrets by contract (their schemas are strict), but the console also shows what breaks contracts —
 * a poison message in the dead letters may hold anything — so it redacts by name, on the server,
 * before anything reaches a browser.
 */
const SECRET_NAME = /pass(word|phrase)?|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|hash|signature/i;

export const REDACTED = '[redacted]';

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A deep copy of `value` with every property whose name says "secret" replaced by `[redacted]`. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, isSecretName(key) ? REDACTED : redact(item)]));
  }
  return value;
}

/** The headers with every secret-named one's value redacted. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, isSecretName(name) ? REDACTED : value]));
}
