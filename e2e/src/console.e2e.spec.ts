/**
 * The console in a real browser: Debian's chromium, headless, driven by playwright-core. A sign-up
 * from the Try-it panel → its UserSignedUp in the live stream with the same correlation id → the
 * email and newsletter consumer groups show it handled → a poison event appears under dead letters
 * → replayed from the page. Saves a screenshot (e2e/artifacts/console.png; docs/console.png is a
 * copy of one).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { UserSignedUpV1 } from '@eventshop/contracts';
import { deadLetters, eventually, publishRaw, ROOT, startShop, type Shop } from './support/shop.js';
import { assertChromiumInstalled, CHROMIUM } from './support/chromium.js';

const ADMIN_TOKEN = `console-e2e-${randomUUID()}`;
const ARTIFACTS = join(ROOT, 'e2e', 'artifacts');
const SERVICES = ['user-service', 'email-service', 'newsletter-service', 'order-service', 'read-model-service', 'console'];

/**
 * The few members of the page's globals the functions below use in the browser (this file is
 * compiled without the DOM's types; the page's CSP rightly refuses expressions given as text).
 */
interface InPage {
  readonly innerWidth: number;
  readonly document: {
    querySelectorAll(selector: string): { readonly length: number };
    querySelector(selector: string): { readonly textContent: string | null } | null;
    readonly documentElement: { readonly scrollWidth: number };
  };
}

/** Waits until `selector` matches exactly `count` elements (the page updates live; this is its signal). */
async function waitForCount(page: Page, selector: string, count: number, timeout = 20_000): Promise<void> {
  await page.waitForFunction(([s, n]) => (globalThis as unknown as InPage).document.querySelectorAll(s).length === n, [selector, count] as const, { timeout });
}

/** Waits until the first element matching `selector` has `text` in its text, and returns that text. */
async function waitForText(page: Page, selector: string, text: string, timeout = 20_000): Promise<string> {
  await page.waitForFunction(([s, t]) => (globalThis as unknown as InPage).document.querySelector(s)?.textContent?.includes(t) ?? false, [selector, text] as const, {
    timeout,
  });
  return (await page.locator(selector).first().textContent()) ?? '';
}

describe('the console in a real browser (every service + console, chromium headless)', () => {
  let shop: Shop;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  let correlationId: string;
  let signedUpEventId: string;

  beforeAll(async () => {
    assertChromiumInstalled();
    shop = await startShop(SERVICES, { serviceEnv: { console: { ADMIN_TOKEN } } });
    profile = mkdtempSync(join(tmpdir(), 'console-e2e-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1440, height: 1100 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await shop?.stop();
  }, 60_000);

  it('loads with nothing from outside its own origin, connects its live stream, shows one lane per service', async () => {
    const outside: string[] = [];
    const consoleErrors: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(shop.url('console'))) outside.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    await page.goto(shop.url('console'));
    await waitForText(page, '.live', 'live');
    for (const service of SERVICES.filter((name) => name !== 'console')) await page.locator(`[data-lane="${service}"]`).waitFor();
    expect(outside).toEqual([]);
    // A CSP violation (the import map, a module) would show up here.
    expect(consoleErrors).toEqual([]);
  }, 30_000);

  it('signs up from the Try-it panel; its UserSignedUp appears in the stream with the same correlation id', async () => {
    await page.locator('#sign-up-email').fill(`console-${randomUUID().slice(0, 8)}@example.com`);
    await page.getByLabel('Send me the newsletter').check();
    await page.getByRole('button', { name: 'Sign up' }).click();

    await page.locator('.last-response [data-status="201"]').waitFor();
    correlationId = (await page.locator('#last-correlation-id').textContent()) ?? '';
    expect(correlationId).toMatch(/^console-[0-9a-f]{8}$/);
    // The page follows the action's correlation id.
    expect(await page.locator('#correlation-filter').inputValue()).toBe(correlationId);

    const signedUp = `button.event[data-type="UserSignedUp"][data-correlation-id="${correlationId}"]`;
    await waitForCount(page, signedUp, 1);
    signedUpEventId = (await page.locator(signedUp).getAttribute('data-event-id')) ?? '';
    expect(signedUpEventId).toMatch(/^[0-9a-f-]{36}$/);
  }, 30_000);

  it('the email and newsletter consumer groups show it handled; so does the event detail, opened by keyboard', async () => {
    for (const group of ['email-service__send-welcome-email', 'newsletter-service__']) {
      await waitForCount(page, `[data-group^="${group}"] li[data-event-id="${signedUpEventId}"][data-status="handled"]`, 1);
    }
    // The rest of this sign-up, followed by its correlation id: the subscription and the welcome mail.
    await waitForCount(page, `button.event[data-type="NewsletterSubscribed"][data-correlation-id="${correlationId}"]`, 1);
    await waitForCount(page, `.mail-list li[data-caused-by="${signedUpEventId}"]`, 1);

    await page.locator(`button.event[data-event-id="${signedUpEventId}"]`).focus();
    await page.keyboard.press('Enter');
    expect(await waitForText(page, '.detail h2', 'UserSignedUp')).toContain('v2');
    const handling = await waitForText(page, '.detail .handling', 'email-service__send-welcome-email');
    expect(handling).toMatch(/✓ handled\s*newsletter-service__/);
    const envelope = (await page.locator('.detail .envelope').textContent()) ?? '';
    expect(JSON.parse(envelope)).toMatchObject({ id: signedUpEventId, type: 'UserSignedUp', correlationId, data: { newsletterOptIn: true } });
    expect(envelope).not.toContain('correct horse');
  }, 60_000);

  it('logs in, places an order and cancels it from the Try-it panel; each action is an event with its correlation id', async () => {
    // The new user's email is filled in for the login; order-service heard of them (record-customer handled it above).
    await page.getByRole('button', { name: 'Log in' }).click();
    await waitForText(page, '.session', 'Logged in as');

    await page.getByRole('button', { name: 'Place order' }).click();
    await page.locator('.last-response [data-status="201"]').waitFor();
    const placedCorrelation = (await page.locator('#last-correlation-id').textContent()) ?? '';
    await waitForCount(page, `button.event[data-type="OrderPlaced"][data-correlation-id="${placedCorrelation}"]`, 1);

    await page.locator('.orders').getByRole('button', { name: /^Cancel order/ }).click();
    await page.locator('.last-response [data-status="200"]').waitFor();
    const cancelledCorrelation = (await page.locator('#last-correlation-id').textContent()) ?? '';
    expect(cancelledCorrelation).not.toBe(placedCorrelation);
    await waitForCount(page, `button.event[data-type="OrderCancelled"][data-correlation-id="${cancelledCorrelation}"]`, 1);
    // The cancellation notice, tied to the OrderCancelled event.
    const cancelled = await page.locator(`button.event[data-type="OrderCancelled"]`).getAttribute('data-event-id');
    await waitForCount(page, `.mail-list li[data-caused-by="${cancelled}"]`, 1);
    // Back to the sign-up for the rest (and the screenshot).
    await page.locator('#correlation-filter').fill(correlationId);
    await page.locator('#correlation-filter').blur();
  }, 60_000);

  it('a poison event appears under dead letters with its reason, and is replayed from the page', async () => {
    const valid = UserSignedUpV1.create(
      { userId: randomUUID(), email: 'poison@example.com', name: 'Poison', newsletterOptIn: false, occurredAt: new Date().toISOString() },
      { correlationId: `poison-${randomUUID().slice(0, 8)}`, source: 'user-service', aggregateId: 'poison' },
    );
    const poison = { ...valid, data: { ...valid.data, email: undefined, apiKey: 'do-not-show-me' } };
    await publishRaw(shop.namespace, UserSignedUpV1.subject, JSON.stringify(poison), poison.id);

    const parked = `.dead-letter-list li[data-event-id="${poison.id}"][data-consumer="email-service__send-welcome-email"]`;
    await waitForCount(page, parked, 1);
    expect(await page.locator(`${parked} .reason`).textContent()).toMatch(/ContractViolationError: UserSignedUp v1 violates its contract/);
    expect(await page.locator('.dead-letter-list').innerHTML()).not.toContain('do-not-show-me');
    const sequence = Number(await page.locator(parked).getAttribute('data-dead-letter'));
    expect(sequence).toBeGreaterThan(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });

    await page.locator('#admin-token').fill(ADMIN_TOKEN);
    await page.locator(parked).getByRole('button', { name: 'Replay' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain(`Replay dead letter #${sequence}`);
    await dialog.getByRole('button', { name: /^Yes/ }).click();

    await waitForText(page, '.dead-letters [role="status"]', 'republished to');
    await waitForCount(page, `.dead-letter-list li[data-dead-letter="${sequence}"]`, 0);
    // Replayed onto the events stream: the same event again, at a new stream sequence…
    await page.getByRole('button', { name: 'Show all' }).click();
    await waitForCount(page, `button.event[data-event-id="${poison.id}"]`, 2);
    // …and, still breaking its contract, parked again under a new sequence.
    const again = await eventually(async () => {
      const found = (await deadLetters(shop.namespace)).filter((d) => d.consumer === 'email-service__send-welcome-email' && d.reason.includes('ContractViolationError'));
      return found.length > 0 && !found.some((d) => d.sequence === sequence) ? found : undefined;
    }, 20_000, 'the replayed poison parked again under a new sequence');
    expect(again.every((d) => d.sequence > sequence)).toBe(true);
  }, 60_000);

  it('refuses replay without the admin token (401), and stays readable at phone width', async () => {
    const refused = await page.evaluate(async () => (await fetch('/api/dead-letters/replay-all', { method: 'POST' })).status);
    expect(refused).toBe(401);

    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => {
      const inPage = globalThis as unknown as InPage;
      return inPage.document.documentElement.scrollWidth - inPage.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await page.getByRole('button', { name: 'Sign up' }).isVisible()).toBe(true);
  });
});
