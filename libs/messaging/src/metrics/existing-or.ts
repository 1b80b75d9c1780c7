import type { Registry } from 'prom-client';

/**
 * The metric already registered under `name`, or a new one from `create`; a metric of another type
 * under that name is an error. Lets every handler (or every module) ask for the same shared metric.
 */
export function existingOr<T extends object>(
  registry: Registry,
  name: string,
  type: abstract new (...args: never[]) => T,
  create: () => T,
): T {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return create();
  if (!(existing instanceof type)) throw new Error(`metric ${name} is already registered with another type`);
  return existing;
}
