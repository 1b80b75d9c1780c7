import { Controller, Get, Inject, NotFoundException, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { eventCatalogue } from '@eventshop/contracts';
import { AdminCredentials } from '@eventshop/platform';
import { CONSOLE_CONFIG, type ConsoleConfig, watchedServices } from '../config.js';
import { inlineScriptHashes, loadStaticFiles, type StaticFile } from './static-files.js';

/** What the page needs to know before it starts: the services and what each publishes, and the links. */
export interface PageConfig {
  readonly services: Array<{ readonly name: string; readonly publishes: string[] }>;
  readonly mailUi: string;
  /** Jaeger's UI when tracing is on; each event then links to `${jaegerUi}/trace/<trace id>`. */
  readonly jaegerUi: string | null;
  /** Whether replay/discard can work at all (ADMIN_TOKEN is set); the page asks for the token. */
  readonly adminEnabled: boolean;
}

/**
 * The page itself: `GET /` (index.html), its modules and styles, the vendor modules, and
 * `GET /api/config`. The page's Content-Security-Policy allows nothing but this origin, plus the
 * one inline script it has (its import map), by hash.
 */
@Controller()
export class ConsolePageController {
  private readonly files: Map<string, StaticFile>;
  private readonly pageSecurityPolicy: string;
  private readonly pageConfig: PageConfig;

  constructor(@Inject(CONSOLE_CONFIG) config: ConsoleConfig, admin: AdminCredentials) {
    this.files = loadStaticFiles();
    const index = this.files.get('/index.html');
    if (!index) throw new Error('apps/console/public/index.html is missing');
    this.pageSecurityPolicy = [
      "default-src 'self'",
      `script-src 'self' ${inlineScriptHashes(index.body.toString('utf8')).join(' ')}`,
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ].join('; ');
    this.pageConfig = {
      services: watchedServices(config).map(({ name }) => ({
        name,
        publishes: eventCatalogue.filter((entry) => entry.owner === name).map((entry) => `${entry.contract.name} v${entry.contract.version}`),
      })),
      mailUi: config.MAILDEV_PUBLIC_URL ?? config.MAILDEV_URL,
      jaegerUi: config.JAEGER_URL ?? null,
      adminEnabled: admin.enabled,
    };
  }

  @Get()
  index(@Req() request: Request, @Res() response: Response): void {
    response.setHeader('Content-Security-Policy', this.pageSecurityPolicy);
    this.send('/index.html', request, response);
  }

  @Get('api/config')
  config(): PageConfig {
    return this.pageConfig;
  }

  @Get(['assets/*path', 'vendor/*path'])
  asset(@Req() request: Request, @Res() response: Response): void {
    this.send(request.path, request, response);
  }

  private send(path: string, request: Request, response: Response): void {
    const file = this.files.get(path);
    if (!file) throw new NotFoundException(`No file ${path}`);
    response.setHeader('Content-Type', file.contentType);
    response.setHeader('ETag', file.etag);
    // Revalidate every time: a new build is picked up at once, an unchanged file costs a 304.
    response.setHeader('Cache-Control', 'no-cache');
    if (request.header('if-none-match') === file.etag) {
      response.status(304).end();
      return;
    }
    response.send(file.body);
  }
}
