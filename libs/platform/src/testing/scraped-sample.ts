/**
 * The value of one sample in a Prometheus text exposition (what `GET /metrics` returns): the first
 * line of series `name` whose labels include `labels`; undefined when there is none. Enough of the
 * format for our own output (no escaped quotes or commas in label values).
 */
export function scrapedSample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}
