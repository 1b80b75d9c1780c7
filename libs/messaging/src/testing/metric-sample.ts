import type { Registry } from 'prom-client';

/**
 * One sample of a registered metric, looked up by its labels (and, for a histogram's or summary's
 * parts, by the sample's own name, e.g. `<name>_count`); undefined when no sample matches.
 */
export async function metricSample(registry: Registry, name: string, labels: Record<string, string> = {}, metricName = name): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} is not registered`);
  const { values } = await metric.get();
  return values.find(
    (value) =>
      ((value as { metricName?: string }).metricName ?? name) === metricName &&
      Object.entries(labels).every(([key, expected]) => String(value.labels[key]) === expected),
  )?.value;
}
