/**
 * The API docs in a real browser: every HTTP service's `/docs` (Swagger UI under the page's own
 * CSP) renders one block per operation of its `/docs/openapi.json`, loads nothing from outside its
 * origin, logs no error (a CSP violation would be one); and "Try it out" on user-service's sign-up
 * really creates an account. Saves screenshots (e2e/artifacts/docs-<service>.png).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT, startShop, type Shop } from './support/shop.js';
import { assertChromiumInstalled, CHROMIUM } from './support/chromium.js';

const ARTIFACTS = join(ROOT, 'e2e', 'artifacts');
const SERVICES = ['user-service', 'email-service', 'newsletter-service', 'order-service', 'read-model-service'];

interface OpenApi {
  readonly paths: Record<string, Record<string, unknown>>;
}

describe('API docs in a real browser (every HTTP service, chromium headless)', () => {
  let shop: Shop;
  let browser: Browser;

  beforeAll(async () => {
    assertChromiumInstalled();
    shop = await startShop(SERVICES);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'] });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await shop?.stop();
  }, 60_000);

  /** Opens a service's /docs and waits for Swagger UI to render its operations; returns the page and what went wrong. */
  async function openDocs(service: string): Promise<{ page: Page; outside: string[]; errors: string[]; operations: number }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1200 } });
    const outside: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(shop.url(service))) outside.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    const document = (await (await fetch(`${shop.url(service)}/docs/openapi.json`)).json()) as OpenApi;
    const operations = Object.values(document.paths).reduce((sum, item) => sum + Object.keys(item).length, 0);
    await page.goto(`${shop.url(service)}/docs`);
    await page.waitForFunction((n) => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('.opblock').length === n, operations, {
      timeout: 20_000,
    });
    return { page, outside, errors, operations };
  }

  it.each(SERVICES)('%s: /docs renders every operation, loads nothing from elsewhere and logs no error', async (service) => {
    const { page, outside, errors, operations } = await openDocs(service);
    expect(await page.locator('.opblock').count()).toBe(operations);
    expect(await page.locator('.info .title').first().textContent()).toContain(service);
    await page.screenshot({ path: join(ARTIFACTS, `docs-${service}.png`), fullPage: true });
    expect(outside).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 40_000);

  it("user-service: 'Try it out' on POST /users signs up the example user (201)", async () => {
    const { page } = await openDocs('user-service');
    const operation = page.locator('#operations-users-postUsers');
    await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('button.execute').click();
    await operation.locator('.live-responses-table .response-col_status', { hasText: '201' }).waitFor({ timeout: 15_000 });
    expect(await operation.locator('.live-responses-table tbody .response-col_description').first().innerText()).toContain('"email": "ada@example.com"');
    await page.close();
  }, 40_000);
});
