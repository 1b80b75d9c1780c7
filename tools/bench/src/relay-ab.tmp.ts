import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { EventBus, JetStreamPublisher, OutboxRelay, deleteStreams, ensureStreams, listenConnectionFrom, messagingMigrations, topologyFor } from '@eventshop/messaging';
import { fillOutbox } from './fill-outbox.js';
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
const session = new Session(); session.connect(); await session.post('Profiler.enable');
let profN = 0;

const rows = Number(process.env.ROWS ?? 10000);
const batches = (process.env.BATCHES ?? '100').split(',').map(Number);
const suffix = randomUUID().slice(0, 8);
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
const db = `relay_ab_${suffix}`;
await admin.query(`CREATE DATABASE "${db}"`);
const nc = await connect({ servers: 'nats://127.0.0.1:4222', noAsyncTraces: true });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const topology = topologyFor(`relayab${suffix}`);
await ensureStreams(jsm, topology);
const ds = new DataSource({ type: 'postgres', url: `postgres://postgres@127.0.0.1:5432/${db}`, migrations: [...messagingMigrations], logging: false, extra: { max: 10 } });
await ds.initialize();
await ds.runMigrations({ transaction: 'all' });
async function raw() {
  const subject = `${topology.eventsSubjectRoot}.bench.raw`;
  const userId = randomUUID();
  const env = UserSignedUpV1.create({ userId, email: 'ada@example.com', name: 'Ada', newsletterOptIn: true, occurredAt: new Date().toISOString() }, { correlationId: randomUUID(), source: 'user-service', aggregateId: userId });
  const payload = new TextEncoder().encode(JSON.stringify(env));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 256 }, async () => { while (next < rows) { next++; await js.publish(subject, payload, { msgID: randomUUID() }); } }));
  return rows / ((performance.now() - t0) / 1000);
}
async function relay(batchSize: number) {
  await fillOutbox(ds, new EventBus('bench', topology), rows);
  const r = new OutboxRelay(ds, new JetStreamPublisher(js), { listen: listenConnectionFrom(ds), batchSize });
  if (process.env.PROF) await session.post('Profiler.start');
  const t0 = performance.now();
  await r.start();
  while (r.published < rows) await sleep(1);
  const rate = r.published / ((performance.now() - t0) / 1000);
  if (process.env.PROF) { const { profile } = await session.post('Profiler.stop'); writeFileSync(`/tmp/relay-${batchSize}-${profN++}.cpuprofile`, JSON.stringify(profile)); }
  await r.stop();
  return rate;
}
for (let i = 0; i < 3; i++) {
  const rr = await raw();
  const out = [`raw ${rr.toFixed(0)}`];
  for (const b of batches) { const x = await relay(b); out.push(`b${b} ${x.toFixed(0)} (${(x / rr).toFixed(2)})`); }
  console.log(out.join('  '));
}
await ds.destroy();
await deleteStreams(jsm, topology);
await nc.drain();
await admin.query(`DROP DATABASE "${db}" WITH (FORCE)`);
await admin.end();
