import { describe, expect, it } from '@jest/globals';
import { MetricNames } from '@eventshop/messaging';
import { parsePrometheusText } from './outbox-gauges.js';
import { causingEventId } from '../mail/caught-mails.js';

describe('parsePrometheusText', () => {
  it('reads gauges with or without labels, skips comments and NaN', () => {
    const metrics = parsePrometheusText(
      [
        '# HELP eventshop_outbox_pending_rows Outbox rows written but not yet published to the broker.',
        '# TYPE eventshop_outbox_pending_rows gauge',
        'eventshop_outbox_pending_rows{service="user-service"} 3',
        'eventshop_outbox_lag_seconds{service="user-service"} NaN',
        'process_cpu_seconds_total 1.5',
      ].join('\n'),
    );
    expect(metrics.get(MetricNames.OutboxPendingRows)).toBe(3);
    expect(metrics.has(MetricNames.OutboxLagSeconds)).toBe(false);
    expect(metrics.get('process_cpu_seconds_total')).toBe(1.5);
  });
});

describe('causingEventId', () => {
  it("reads the event id from email-service's Message-ID, and nothing from any other", () => {
    expect(causingEventId('<welcome.fb2a61e1-5df2-409b-bf75-ead69002175d@eventshop.local>')).toBe('fb2a61e1-5df2-409b-bf75-ead69002175d');
    expect(causingEventId('<order-confirmation.FB2A61E1-5DF2-409B-BF75-EAD69002175D@eventshop.local>')).toBe('fb2a61e1-5df2-409b-bf75-ead69002175d');
    expect(causingEventId('<random@elsewhere>')).toBeNull();
    expect(causingEventId('')).toBeNull();
  });
});
