import { describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import type { ArgumentsHost } from '@nestjs/common';
import { HttpErrorsFilter } from '../http-exception.filter.js';
import { rateLimits } from '../rate-limit.js';
import { validationFailed } from '../validation.js';
import { type ApiRoute, HttpErrorBody, openApiDocument, PLATFORM_ROUTES, ValidationErrorBody } from './openapi-document.js';

const Body = z.object({ email: z.email().meta({ personal: true }), quantity: z.int().min(1) });
const route: ApiRoute = {
  method: 'post',
  path: '/things/{id}',
  summary: 'Make a thing',
  tag: 'things',
  auth: 'bearer',
  params: z.object({ id: z.uuid() }),
  body: { schema: Body, example: { email: 'ada@example.com', quantity: 1 } },
  success: { status: 201, description: 'Made', schema: z.object({ id: z.uuid() }) },
};
const api = { service: 'thing-service', version: '1.0.0', description: 'Things.', routes: [route] };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

describe('openApiDocument', () => {
  it('is valid OpenAPI 3.1, and the validator refuses a broken copy (so the service tests can fail)', async () => {
    const document = openApiDocument(api) as Doc;
    const validator = new Validator();
    expect(await validator.validate(structuredClone(document))).toEqual({ valid: true });
    expect(validator.version).toBe('3.1');
    const broken = structuredClone(document);
    delete broken['paths']['/things/{id}']['post']['responses'];
    broken['paths']['/things/{id}']['post']['parameters'][0]['in'] = 'body';
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('gives a route its schemas, auth and the errors they imply, with examples', () => {
    const operation = (openApiDocument(api) as Doc)['paths']['/things/{id}']['post'];
    expect(operation.security).toEqual([{ bearerAuth: [] }]);
    expect(operation.parameters).toEqual([expect.objectContaining({ in: 'path', name: 'id', required: true })]);
    expect(operation.requestBody.content['application/json'].schema.required).toEqual(['email', 'quantity']);
    expect(Object.keys(operation.responses).sort()).toEqual(['201', '400', '401', '503']);
    expect(operation.responses['400'].content['application/json'].example).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Validation failed',
      errors: [{ field: 'id', message: 'is required' }],
    });
    expect(operation.responses['503'].headers['Retry-After']).toBeDefined();
  });

  it('marks a field whose zod schema says .meta({ personal: true }) with x-personal-data', () => {
    const email = (openApiDocument(api) as Doc)['paths']['/things/{id}']['post'].requestBody.content['application/json'].schema.properties.email;
    expect(email['x-personal-data']).toBe(true);
    expect(email).not.toHaveProperty('personal');
  });

  it('refuses an example that fails its own schema', () => {
    const badBody = { ...route, body: { schema: Body, example: { email: 'not an email', quantity: 1 } } };
    expect(() => openApiDocument({ ...api, routes: [badBody] })).toThrow('POST /things/{id}: the request body example fails its schema: email');
    const badAnswer = { ...route, success: { ...route.success, example: { id: 42 } } };
    expect(() => openApiDocument({ ...api, routes: [badAnswer] })).toThrow('the 201 answer example fails its schema');
  });

  it('refuses a route documented twice, and the platform routes are in every document', () => {
    expect(() => openApiDocument({ ...api, routes: [route, route] })).toThrow('POST /things/{id} is documented twice');
    const paths = Object.keys((openApiDocument(api) as Doc)['paths']);
    for (const platformRoute of PLATFORM_ROUTES) expect(paths).toContain(platformRoute.path);
  });
});

describe('the documented error bodies are the ones the platform sends', () => {
  it('a validation failure', () => {
    const body = validationFailed([{ field: 'items.2.quantity', message: 'must be at least 1' }]).getResponse();
    expect(ValidationErrorBody.strict().safeParse(body).success).toBe(true);
  });

  it('a 503 with Retry-After from the error filter when the database is away', () => {
    const sent: { status?: number; headers: Record<string, string>; body?: unknown } = { headers: {} };
    const response = {
      status: (code: number) => ((sent.status = code), response),
      setHeader: (name: string, value: string) => ((sent.headers[name] = value), response),
      json: (body: unknown) => ((sent.body = body), response),
    };
    // A stand-in for Nest's host: the filter only asks for the type and the response.
    const host = { getType: () => 'http', switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
    new HttpErrorsFilter().catch(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), host);
    expect(sent.status).toBe(503);
    expect(sent.headers['Retry-After']).toMatch(/^\d+$/);
    expect(HttpErrorBody.strict().safeParse(sent.body).success).toBe(true);
  });

  it('a 429 from the rate limits, with Retry-After', async () => {
    const app = express();
    app.use(...rateLimits({ perClient: 1, perAccount: 10, windowSeconds: 60, accountOf: () => undefined }));
    app.get('/', (_request, response) => void response.json({}));
    await request(app).get('/').expect(200);
    const refused = await request(app).get('/').expect(429);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(HttpErrorBody.strict().safeParse(refused.body).success).toBe(true);
  });
});
