import { type DynamicModule, Module } from '@nestjs/common';
import { ApiDocsController, OPENAPI_DOCUMENT } from './api-docs.controller.js';
import { openApiDocument, type ServiceApi } from './openapi-document.js';

/**
 * Serves a service's API documentation: Swagger UI at `/docs`, the OpenAPI 3.1 document at
 * `/docs/openapi.json`. The document is built once, at start-up, from `api` (its routes and their
 * zod schemas); a bad description fails the start, not a request.
 */
@Module({})
export class ApiDocsModule {
  static forRoot(api: ServiceApi): DynamicModule {
    return {
      module: ApiDocsModule,
      controllers: [ApiDocsController],
      providers: [{ provide: OPENAPI_DOCUMENT, useValue: openApiDocument(api) }],
    };
  }
}
