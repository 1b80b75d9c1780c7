import { Inject, Injectable } from '@nestjs/common';
import { MetricNames } from '@eventshop/messaging';
import { CONSOLE_CONFIG, type ConsoleConfig, watchedServices } from '../config.js';

/** One service's outbox as its `/metrics` reports it. */
export interface OutboxState {
  readonly service: string;
  /** False when `/metrics` did not answer (the service is down or elsewhere). */
  readonly reachable: boolean;
  /** Outbox rows written but not yet published; null when the service has no relay (publishes nothing) or is unreachable. */
  readonly pendingRows: number | null;
  /** Age in seconds of the oldest pending row. */
  readonly lagSeconds: number | null;
}

const SCRAPE_TIMEOUT_MS = 1_500;

/**
 * Pending outbox rows per service, from each service's public `GET /metrics` — the relay's
 * `eventshop_outbox_pending_rows` and `eventshop_outbox_lag_seconds` gauges — not from its
 * database: the console reads no service's database, exactly like any other service.
 */
@Injectable()
export class OutboxGauges {
  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {}

  read(): Promise<OutboxState[]> {
    return Promise.all(
      watchedServices(this.config).map(async ({ name, url }): Promise<OutboxState> => {
        try {
          const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
          if (!response.ok) return { service: name, reachable: false, pendingRows: null, lagSeconds: null };
          const metrics = parsePrometheusText(await response.text());
          return {
            service: name,
            reachable: true,
            pendingRows: metrics.get(MetricNames.OutboxPendingRows) ?? null,
            lagSeconds: metrics.get(MetricNames.OutboxLagSeconds) ?? null,
          };
        } catch {
          return { service: name, reachable: false, pendingRows: null, lagSeconds: null };
        }
      }),
    );
  }
}

/**
 * The unlabelled-or-summed value of each sample name in a Prometheus text exposition: enough for
 * gauges that have one series per service (labels such as `service="…"` are ignored, series of the
 * same name are added). `NaN` samples (a relay that could not read its table) are left out.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || line.startsWith('#')) continue;
    const value = Number(match[2]);
    if (Number.isNaN(value)) continue;
    const name = match[1] as string;
    values.set(name, (values.get(name) ?? 0) + value);
  }
  return values;
}
