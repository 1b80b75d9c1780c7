import { Controller, Get, type INestApplication, NotFoundException, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import request from 'supertest';
import { metricSample } from '@eventshop/messaging/testing';
import { HttpMetrics, httpMetrics, UNMATCHED_ROUTE } from './http-metrics.js';

@Controller('things')
class ThingsController {
  @Get(':id')
  one(@Param('id') id: string) {
    if (id === 'missing') throw new NotFoundException();
    return { id };
  }
}

describe('httpMetrics', () => {
  const registry = new Registry();
  let app: INestApplication;
  const name = HttpMetrics.RequestSeconds.name;
  const count = (labels: Record<string, string>) => metricSample(registry, name, labels, `${name}_count`);

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [ThingsController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.use(httpMetrics(registry));
    await app.init();
  });

  afterAll(() => app?.close());

  it('counts and times requests by the route template, not the raw path, and by status', async () => {
    await request(app.getHttpServer()).get('/things/1').expect(200);
    await request(app.getHttpServer()).get('/things/2').expect(200);
    await request(app.getHttpServer()).get('/things/missing').expect(404);

    expect(await count({ method: 'GET', route: '/things/:id', status: '200' })).toBe(2);
    expect(await count({ method: 'GET', route: '/things/:id', status: '404' })).toBe(1);
    expect(await metricSample(registry, name, { route: '/things/1' }, `${name}_count`)).toBeUndefined();
    expect(await metricSample(registry, name, { method: 'GET', route: '/things/:id', status: '200' }, `${name}_sum`)).toBeGreaterThan(0);
  });

  it('puts every path no route serves under one series', async () => {
    await request(app.getHttpServer()).get('/no/such/path').expect(404);
    await request(app.getHttpServer()).get('/another-one').expect(404);
    expect(await count({ method: 'GET', route: UNMATCHED_ROUTE, status: '404' })).toBe(2);
  });
});
