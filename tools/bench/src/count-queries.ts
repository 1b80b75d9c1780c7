/**
 * Preloaded into each service by `bench:shop` (`NODE_OPTIONS=--import …/count-queries.js`, with
 * BENCH_QUERY_COUNT_DIR set): counts the PostgreSQL round trips the process makes (calls of
 * pg's Client.query, which TypeORM and the bus use for every statement) and writes the count to
 * `<dir>/<pid>.json` every 100 ms. A counter increment per query: it does not change what it counts.
 * Round trips are the steadiest cost figure on a loaded machine (wall-clock and CPU time are not).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.env.BENCH_QUERY_COUNT_DIR;
if (dir) {
  // The pg the service loads: resolved from its working directory, the repository root.
  const pg = createRequire(join(process.cwd(), 'package.json'))('pg') as { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
  let queries = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    queries++;
    return query.apply(this, args);
  };
  // Written aside, then renamed: the benchmark may read at any moment and must never see a half-written file.
  const file = join(dir, `${process.pid}.json`);
  const write = () => {
    writeFileSync(`${file}.tmp`, JSON.stringify({ queries }));
    renameSync(`${file}.tmp`, file);
  };
  setInterval(write, 100).unref();
  process.on('exit', write);
}
