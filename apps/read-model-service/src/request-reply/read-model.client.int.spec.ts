import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { TEST_NATS_URL, uniqueName } from '@eventshop/messaging/testing';
import { ReadModelClient, ReadModelUnavailableError } from './read-model.client.js';
import { querySubject } from './read-model.rpc-api.js';

// Answers from a real read-model-service are covered in read-model-service.int.spec.ts; here, the
// client's behaviour when nobody answers, against a real NATS server.
describe('ReadModelClient when nobody answers (real NATS)', () => {
  let connection: NatsConnection;

  beforeAll(async () => {
    connection = await connect({ servers: TEST_NATS_URL });
  });
  afterAll(() => connection.drain());

  it('fails at once with "no-responders" when no service listens in its namespace', async () => {
    const namespace = uniqueName('nobody');
    const client = new ReadModelClient(connection, { namespace, timeoutMs: 10_000 });
    const startedAt = Date.now();
    const failure = await client.userOverview(randomUUID(), 'a.token').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ReadModelUnavailableError);
    expect(failure).toMatchObject({ reason: 'no-responders', subject: `${namespace}.readmodel.user.get` });
    expect((failure as Error).message).toMatch(/Nobody answers .*readmodel\.user\.get.*NATS_NAMESPACE/);
    // NATS reports the missing responder right away; the 10 s timeout never came into play.
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });

  it('fails with "timeout" when a responder takes the request but never replies', async () => {
    const namespace = uniqueName('silent');
    const silent = connection.subscribe(querySubject(namespace, 'userTimeline'));
    try {
      const client = new ReadModelClient(connection, { namespace, timeoutMs: 300 });
      const failure = await client.userTimeline(randomUUID(), 'a.token').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ReadModelUnavailableError);
      expect(failure).toMatchObject({ reason: 'timeout', subject: `${namespace}.readmodel.user.timeline` });
      expect((failure as Error).message).toContain('within 300 ms');
    } finally {
      silent.unsubscribe();
    }
  });
});
