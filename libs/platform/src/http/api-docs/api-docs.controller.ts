import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';

/** The service's OpenAPI document, as `ApiDocsModule.forRoot` built it. */
export const OPENAPI_DOCUMENT = Symbol('OPENAPI_DOCUMENT');

/** Where the swagger-ui-dist package keeps its files (resolved, not imported: its index loads the whole bundle). */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * The page's own start-up script, served as a file rather than inline so the CSP needs no
 * `'unsafe-inline'` for scripts. No validator badge: it would send the document to a third party.
 */
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/docs/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
});
`;

/** The files the page loads: Swagger UI's bundle and styles, and the start-up script. */
const ASSETS: Readonly<Record<string, { readonly type: string; readonly body: () => Buffer | string }>> = {
  'swagger-ui.css': { type: 'text/css', body: () => readFileSync(join(SWAGGER_UI_DIR, 'swagger-ui.css')) },
  'swagger-ui-bundle.js': { type: 'text/javascript', body: () => readFileSync(join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js')) },
  'favicon-32x32.png': { type: 'image/png', body: () => readFileSync(join(SWAGGER_UI_DIR, 'favicon-32x32.png')) },
  'docs-init.js': { type: 'text/javascript', body: () => INIT_SCRIPT },
};

/**
 * The page's policy, in place of the strict default helmet gives every response: scripts from this
 * origin only (no inline script, no eval), inline styles (Swagger UI sets style attributes), images
 * from here or data URLs, requests ("Try it out") to this origin only.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

function page(title: string): string {
  const escaped = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escaped} · API docs</title>`,
    '<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">',
    '<link rel="stylesheet" href="/docs/assets/swagger-ui.css">',
    '</head>',
    '<body>',
    '<div id="swagger-ui"></div>',
    '<script src="/docs/assets/swagger-ui-bundle.js"></script>',
    '<script src="/docs/assets/docs-init.js"></script>',
    '</body>',
    '</html>',
  ].join('\n');
}

/** `GET /docs` (Swagger UI), `GET /docs/openapi.json` (the document) and the page's assets. */
@Controller('docs')
export class ApiDocsController {
  private readonly html: string;

  constructor(@Inject(OPENAPI_DOCUMENT) private readonly document: { readonly info: { readonly title: string } }) {
    this.html = page(document.info.title);
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DOCS_CSP)
  ui(): string {
    return this.html;
  }

  @Get('openapi.json')
  openapi(): object {
    return this.document;
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() response: Response): void {
    const asset = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!asset) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `No asset ${file}` });
    response.type(asset.type).setHeader('Cache-Control', 'public, max-age=3600').send(asset.body());
  }
}
