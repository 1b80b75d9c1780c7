import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Response } from 'supertest';
import { consumedSubject, eventHandlersOf } from '@eventshop/messaging';
import type { BaseConfig } from '../config/config.js';
import { DOCS_CSP } from '../http/api-docs/api-docs.controller.js';
import type { ServiceUnderTest } from './service-under-test.js';

/** The parts of an OpenAPI document these checks read. */
interface OpenApi {
  readonly openapi: string;
  readonly info: { readonly title: string };
  readonly paths: Record<string, Record<string, Operation>>;
}
interface Operation {
  readonly security?: ReadonlyArray<Record<string, unknown>>;
  readonly responses: Record<string, { readonly content?: Record<string, { readonly schema?: object }> }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Every route the app's HTTP server has, as `METHOD /path` in OpenAPI form (`:id` → `{id}`), read from
 * Express's router: what Nest really registered, whatever the controllers say.
 */
export function registeredRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } };
  // Route-bound middleware (rate limits) shows as a route of its own: the same route again.
  const routes = express.router.stack.flatMap(({ route }) =>
    route
      ? Object.keys(route.methods)
          .filter((method) => method !== '_all')
          .map((method) => `${method.toUpperCase()} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
      : [],
  );
  return [...new Set(routes)];
}

/** Every operation of `document` as `METHOD /path`. */
export function documentedRoutes(document: OpenApi): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** A JSON pointer to `segments` (for Ajv's `$ref` into the document). */
const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/**
 * Checks a service's API documentation against the running service (started by `start`, e.g. with
 * startServiceUnderTest):
 *
 * - `/docs/openapi.json` is a valid OpenAPI 3.1 document;
 * - it documents exactly the routes Nest registered (so a new route cannot go undocumented);
 * - `/docs` is an HTML page whose scripts and styles load, under a CSP that allows them;
 * - every operation, called without credentials (and each bearer-guarded GET with a valid token),
 *   answers a status it documents, with a body that matches the documented schema;
 * - its `@OnEvent` handlers are exactly the consumer groups its package.json declares
 *   (`eventshop.bus.consumes`), from which the AsyncAPI document's `receive` operations are made.
 */
export function describeApiDocs<C extends BaseConfig>(options: {
  readonly serviceName: string;
  readonly start: () => Promise<ServiceUnderTest<C>>;
  /** The app's package.json (its `eventshop.bus` block). */
  readonly packageJson: URL;
  /** Signs an access token for a user id (testTokenSigner), for the authenticated probes. */
  readonly signToken: (userId: string) => string;
}): void {
  describe(`${options.serviceName}: API docs`, () => {
    let service: ServiceUnderTest<C>;
    let document: OpenApi;

    beforeAll(async () => {
      service = await options.start();
      const response = await service.http().get('/docs/openapi.json').expect(200);
      document = response.body as OpenApi;
    }, 60_000);
    afterAll(async () => {
      await service?.stop();
    }, 30_000);

    it('/docs/openapi.json is a valid OpenAPI 3.1 document titled after the service', async () => {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(document) as never);
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
      expect(validator.version).toBe('3.1');
      expect(document.info.title).toBe(options.serviceName);
    });

    it('documents exactly the routes Nest registered', () => {
      const registered = registeredRoutes(service.app).sort();
      expect(registered.length).toBeGreaterThan(0);
      expect(documentedRoutes(document).sort()).toEqual(registered);
    });

    it('/docs is a Swagger UI page whose scripts and styles load, under a CSP that allows them and no inline script', async () => {
      const page = await service.http().get('/docs').expect(200).expect('Content-Type', /text\/html/);
      expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
      const html = page.text;
      expect(html).toContain('<div id="swagger-ui">');
      expect(html).not.toMatch(/<script>(?!<\/script>)/);
      const assets = [...html.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)].map((match) => match[1] ?? '');
      expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css', '/docs/assets/docs-init.js']));
      for (const asset of assets) {
        const response = await service.http().get(asset).expect(200);
        expect(Number(response.headers['content-length'] ?? (response.text ?? '').length)).toBeGreaterThan(0);
      }
      const init = await service.http().get('/docs/assets/docs-init.js').expect(200);
      expect(init.text).toContain("url: '/docs/openapi.json'");
      await service.http().get('/docs/assets/..%2Fpackage.json').expect(404);
    });

    it('every operation answers a status it documents, with a body of the documented schema', async () => {
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      ajv.addSchema(document, 'openapi');
      const userId = randomUUID();
      const probes: string[] = [];
      const check = (method: string, path: string, operation: Operation, response: Response) => {
        const documented = operation.responses[String(response.status)];
        probes.push(`${method.toUpperCase()} ${path} → ${response.status}`);
        expect({ route: `${method.toUpperCase()} ${path}`, status: response.status, documented: !!documented }).toEqual({
          route: `${method.toUpperCase()} ${path}`,
          status: response.status,
          documented: true,
        });
        const type = String(response.headers['content-type'] ?? '').split(';')[0] ?? '';
        const content = documented?.content;
        if (!content) return;
        const mediaType = Object.keys(content).find((candidate) => candidate === type);
        expect({ route: `${method.toUpperCase()} ${path}`, type, documented: Object.keys(content) }).toEqual(
          expect.objectContaining({ documented: expect.arrayContaining([type]) }),
        );
        if (mediaType !== 'application/json') return;
        const validate = ajv.compile({ $ref: `openapi#/${pointer('paths', path, method, 'responses', String(response.status), 'content', mediaType, 'schema')}` });
        const valid = validate(response.body);
        expect({ route: `${method.toUpperCase()} ${path} → ${response.status}`, errors: validate.errors ?? null, valid }).toEqual(
          expect.objectContaining({ valid: true }),
        );
      };
      for (const [path, item] of Object.entries(document.paths)) {
        const url = path.replace('{file}', 'docs-init.js').replace(/\{\w+\}/g, userId);
        for (const method of METHODS) {
          const operation = item[method];
          if (!operation) continue;
          const call = () => service.http()[method](url).set('Accept', 'application/json');
          check(method, path, operation, await call());
          const bearer = operation.security?.some((requirement) => 'bearerAuth' in requirement);
          if (bearer && method === 'get') check(method, path, operation, await call().set('Authorization', `Bearer ${options.signToken(userId)}`));
        }
      }
      expect(probes.length).toBeGreaterThanOrEqual(documentedRoutes(document).length);
    });

    it("handles exactly the events its package.json declares (the AsyncAPI document's receive operations)", () => {
      const pkg = JSON.parse(readFileSync(options.packageJson, 'utf8')) as { eventshop?: { bus?: { consumes?: Record<string, string> } } };
      const declared = pkg.eventshop?.bus?.consumes ?? {};
      const registrations = eventHandlersOf(service.app);
      const handled = Object.fromEntries(
        registrations.map(({ handler, contracts: [only, ...others] }) => [handler, only && others.length === 0 ? `${only.name}.v${only.version}` : '*']),
      );
      expect(handled).toEqual(declared);
      // What the handlers listen on is what the declared event stands for (one subject, or every event).
      for (const { handler, subject, contracts: [only, ...others] } of registrations) {
        const listensOn = subject ?? (only && others.length === 0 ? only.subject : consumedSubject('*'));
        expect(listensOn).toBe(consumedSubject(declared[handler] ?? ''));
      }
    });
  });
}
