import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per service, labelled with the service's name, with Node's default process metrics. */
export function createServiceRegistry(serviceName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry });
  return registry;
}
