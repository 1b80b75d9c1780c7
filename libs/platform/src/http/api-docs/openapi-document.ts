import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiObject,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponseObject,
} from 'zod-openapi';
import { ADMIN_TOKEN_HEADER } from '../admin-credentials.js';
import { validationFailed } from '../validation.js';

/*
 * A service's OpenAPI 3.1 document, built from the same zod schemas the routes validate with: a
 * route names its `body`, `query` and `params` schemas (the `*.request.dto.ts` ones) and zod-openapi
 * turns them into JSON Schema. The error shapes are the ones the platform really answers with
 * (validation.ts, http-exception.filter.ts, rate-limit.ts, the guards); a test checks every route
 * Nest registers is in the document, and that what the service answers matches it.
 */

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who may call a route: anyone, a user with a bearer JWT, or an operator with the admin token. */
export type RouteAuth = 'public' | 'bearer' | 'admin';

/** The success answer of a route. */
export interface RouteSuccess {
  readonly status: 200 | 201 | 202 | 204;
  readonly description: string;
  /** The body's schema (JSON unless `contentType` says otherwise); none for an empty body. */
  readonly schema?: z.ZodType;
  readonly example?: unknown;
  /** Default `application/json`; several when the route serves several kinds of file. */
  readonly contentType?: string | readonly string[];
}

/** One HTTP route of a service, in terms of the zod schemas its controller validates with. */
export interface ApiRoute {
  readonly method: HttpMethod;
  /** The path in OpenAPI form, e.g. `/orders/{id}/cancel` (Nest's `:id` is `{id}` here). */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly auth: RouteAuth;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** Request headers the route reads (its own, besides `Authorization` and `X-Correlation-Id`). */
  readonly headers?: z.ZodObject;
  readonly body?: { readonly schema: z.ZodType; readonly example: unknown };
  readonly success: RouteSuccess;
  /** Answers besides success and those `auth` and validation imply (see `errorResponse`), by status. */
  readonly errors?: Readonly<Record<number, ZodOpenApiResponseObject>>;
  /** Whether the route reads or writes the service's database (then a `503` with `Retry-After` may answer). Default true. */
  readonly usesDatabase?: boolean;
}

/** `{statusCode, error, message}`: every error body of the platform (Nest's HttpException shape). */
export const HttpErrorBody = z
  .object({
    statusCode: z.int().meta({ description: 'The HTTP status again' }),
    error: z.string().meta({ description: "The status's reason phrase" }),
    message: z.string().meta({ description: 'What went wrong, for a person' }),
  })
  .meta({ id: 'HttpError' });

/** The 400 of a request that failed its schema: one entry per bad field (`items.2.quantity`, `body`). */
export const ValidationErrorBody = HttpErrorBody.extend({
  errors: z.array(
    z.object({
      field: z.string().meta({ description: 'The dotted path of the bad field; `body` for the body as a whole' }),
      message: z.string(),
    }),
  ),
}).meta({ id: 'ValidationError' });

const RETRY_AFTER = z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait before trying again', example: '2' }) });

/** An error answer with the platform's error body and `example` as its message. */
export function errorResponse(status: number, description: string, message: string, options: { retryAfter?: boolean } = {}): ZodOpenApiResponseObject {
  const example = { statusCode: status, error: REASONS[status] ?? 'Error', message };
  return {
    description,
    ...(options.retryAfter ? { headers: RETRY_AFTER } : {}),
    content: { 'application/json': { schema: HttpErrorBody, example } },
  };
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The 400 every route with a schema answers bad input with; the example is the real helper's output. */
export function validationErrorResponse(example: ReadonlyArray<{ field: string; message: string }>): ZodOpenApiResponseObject {
  return {
    description: 'The request failed its schema (or carries a NUL character): one entry per bad field; malformed JSON is a 400 without `errors`',
    content: { 'application/json': { schema: ValidationErrorBody.or(HttpErrorBody), example: validationFailed([...example]).getResponse() } },
  };
}

/** The answers of the platform itself, shared by every route that asks for them. */
export const platformErrors = {
  bearerMissing: errorResponse(401, 'No valid `Authorization: Bearer <JWT>` header', 'A valid bearer token is required'),
  adminTokenMissing: errorResponse(401, `No valid \`${ADMIN_TOKEN_HEADER}\` header`, `A valid ${ADMIN_TOKEN_HEADER} header is required`),
  adminDisabled: errorResponse(403, 'The service has no ADMIN_TOKEN: admin endpoints are off', 'Admin endpoints are disabled: ADMIN_TOKEN is not set'),
  databaseUnavailable: errorResponse(503, 'The database cannot be reached (restarting, refusing); the request is fine: retry after `Retry-After`', 'The database is unavailable; try again shortly', {
    retryAfter: true,
  }),
  tooManyRequests: errorResponse(429, 'The client or the account has used up its attempts: retry after `Retry-After`', 'Too many attempts; try again later', {
    retryAfter: true,
  }),
} as const;

/** The responses of a route: success, then what its auth, schemas and database imply, then its own. */
function responsesOf(route: ApiRoute): ZodOpenApiOperationObject['responses'] {
  const { success } = route;
  const responses: Record<string, ZodOpenApiResponseObject> = {
    [success.status]: {
      description: success.description,
      ...(success.schema ? { content: contentOf(success.schema, success.contentType ?? 'application/json', success.example) } : {}),
    },
  };
  if (route.params ?? route.query ?? route.body) {
    responses[400] = validationErrorResponse(exampleFieldErrors(route));
  }
  if (route.auth === 'bearer') responses[401] = platformErrors.bearerMissing;
  if (route.auth === 'admin') {
    responses[401] = platformErrors.adminTokenMissing;
    responses[403] = platformErrors.adminDisabled;
  }
  if (route.usesDatabase ?? true) responses[503] = platformErrors.databaseUnavailable;
  return { ...responses, ...route.errors };
}

function contentOf(schema: z.ZodType, types: string | readonly string[], example: unknown): ZodOpenApiResponseObject['content'] {
  const media = { schema, ...(example === undefined ? {} : { example }) };
  return Object.fromEntries((typeof types === 'string' ? [types] : types).map((type) => [type, media]));
}

/** One bad field per schema the route has, for the 400's example. */
function exampleFieldErrors(route: ApiRoute): Array<{ field: string; message: string }> {
  const first = (schema: z.ZodObject | undefined) => (schema ? Object.keys(schema.shape)[0] : undefined);
  const field = first(route.params) ?? first(route.query) ?? (route.body?.schema instanceof z.ZodObject ? first(route.body.schema) : undefined) ?? 'body';
  return [{ field, message: 'is required' }];
}

/** An example that its own schema refuses would teach clients the wrong thing: refuse it at start-up. */
function checkExamples(route: ApiRoute): void {
  const checks = [
    { what: 'request body', schema: route.body?.schema, example: route.body?.example },
    { what: `${route.success.status} answer`, schema: route.success.schema, example: route.success.example },
  ];
  for (const { what, schema, example } of checks) {
    if (!schema || example === undefined) continue;
    const result = schema.safeParse(example);
    if (!result.success) {
      throw new Error(`${route.method.toUpperCase()} ${route.path}: the ${what} example fails its schema: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
    }
  }
}

function operationOf(route: ApiRoute): ZodOpenApiOperationObject {
  checkExamples(route);
  return {
    operationId: `${route.method}${route.path.replace(/[{}]/g, '').replace(/(^|[/-])(\w)/g, (_, __, c: string) => c.toUpperCase())}`,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.auth === 'bearer' ? [{ bearerAuth: [] }] : route.auth === 'admin' ? [{ adminToken: [] }] : [],
    ...(route.params || route.query || route.headers
      ? {
          requestParams: {
            ...(route.params ? { path: route.params } : {}),
            ...(route.query ? { query: route.query } : {}),
            ...(route.headers ? { header: route.headers } : {}),
          },
        }
      : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: route.body.schema, example: route.body.example } } } }
      : {}),
    responses: responsesOf(route),
  };
}

/** `/health` and `/health/ready`: terminus's answer, 200 or 503. */
function readiness(path: string, summary: string): ApiRoute {
  return {
    method: 'get',
    path,
    summary,
    tag: 'operations',
    auth: 'public',
    usesDatabase: false,
    success: { status: 200, description: 'Ready: the database (if the service has one) and NATS answer', schema: z.looseObject({ status: z.literal('ok') }) },
    errors: { 503: { description: 'Not ready: names the dependency that failed', content: { 'application/json': { schema: z.looseObject({ status: z.literal('error') }) } } } },
  };
}

/** What every service serves besides its own routes: health, metrics and these docs. */
export const PLATFORM_ROUTES: readonly ApiRoute[] = [
  readiness('/health', 'Readiness, for people and scripts (the same as /health/ready)'),
  readiness('/health/ready', 'Readiness probe: may this instance take traffic?'),
  {
    method: 'get',
    path: '/health/live',
    summary: 'Liveness probe: is the process serving HTTP? Checks no dependency',
    tag: 'operations',
    auth: 'public',
    usesDatabase: false,
    success: { status: 200, description: 'Alive', schema: z.object({ status: z.literal('ok') }), example: { status: 'ok' } },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format)',
    tag: 'operations',
    auth: 'public',
    usesDatabase: false,
    success: { status: 200, description: 'The metrics', contentType: 'text/plain', schema: z.string() },
  },
  {
    method: 'get',
    path: '/docs',
    summary: 'This documentation, in Swagger UI',
    tag: 'operations',
    auth: 'public',
    usesDatabase: false,
    success: { status: 200, description: 'The page', contentType: 'text/html', schema: z.string() },
  },
  {
    method: 'get',
    path: '/docs/openapi.json',
    summary: 'This document (OpenAPI 3.1)',
    tag: 'operations',
    auth: 'public',
    usesDatabase: false,
    success: { status: 200, description: 'The document', schema: z.looseObject({ openapi: z.string() }) },
  },
  {
    method: 'get',
    path: '/docs/assets/{file}',
    summary: "The Swagger UI's scripts and styles",
    tag: 'operations',
    auth: 'public',
    usesDatabase: false,
    success: { status: 200, description: 'The file', contentType: ['text/javascript', 'text/css', 'image/png'], schema: z.string() },
    errors: { 404: errorResponse(404, 'No such asset', 'Cannot GET /docs/assets/nothing.js') },
  },
];

/** What a service says about itself in its document. */
export interface ServiceApi {
  /** The service's name, e.g. `order-service`: the document's title. */
  readonly service: string;
  readonly version: string;
  /** What the service is for, in a sentence or two (Markdown). */
  readonly description: string;
  readonly routes: readonly ApiRoute[];
}

/**
 * The OpenAPI 3.1 document of a service: its routes and the platform's, bearer and admin-token
 * security schemes, and the shared error bodies as components.
 */
export function openApiDocument(api: ServiceApi): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of [...api.routes, ...PLATFORM_ROUTES]) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is documented twice`);
    item[route.method] = operationOf(route);
  }
  const document: ZodOpenApiObject = {
    openapi: '3.1.0',
    info: { title: api.service, version: api.version, description: api.description },
    tags: [...new Set([...api.routes, ...PLATFORM_ROUTES].map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "An access token from user-service's `POST /auth/login` (RS256; every service verifies it locally)",
        },
        adminToken: {
          type: 'apiKey',
          in: 'header',
          name: ADMIN_TOKEN_HEADER,
          description: "The operators' shared secret (the service's ADMIN_TOKEN); a user's JWT never grants admin",
        },
      },
    },
  };
  return createDocument(document, {
    // A field marked personal in its zod schema (`.meta({ personal: true })`, as the event contracts
    // mark theirs) is `x-personal-data: true` here too, an extension OpenAPI tools pass through.
    override: ({ jsonSchema }) => {
      const schema = jsonSchema as Record<string, unknown>;
      if (schema['personal'] === undefined) return;
      schema['x-personal-data'] = schema['personal'] === true;
      delete schema['personal'];
    },
  });
}
