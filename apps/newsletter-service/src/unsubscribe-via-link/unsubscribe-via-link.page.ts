import type { Response } from 'express';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/** A small standalone page: no script, nothing loaded from elsewhere, nothing that tracks the reader. */
function page(title: string, paragraphs: readonly string[]): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)} · eventshop</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>',
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    ...paragraphs.map((text) => `<p>${escapeHtml(text)}</p>`),
    '</body>',
    '</html>',
  ].join('\n');
}

export function unsubscribedPage(): string {
  return page('You are unsubscribed', [
    'You will no longer receive the eventshop newsletter.',
    'Changed your mind? Sign in to your account to subscribe again.',
  ]);
}

/** Shown for a link whose shape is wrong (400): the field-by-field details mean nothing to a reader. */
export const INCOMPLETE_LINK_MESSAGE =
  'This unsubscribe link is incomplete. Open it straight from the email, or sign in to change your newsletter settings.';

export function linkFailurePage(message: string): string {
  return page('This link did not work', [message]);
}

/**
 * Answers a person with `html` and a program that asks for JSON (`Accept: application/json`) with
 * `json`; anything else gets the page. The answer is about one person, so it is not cached, and the
 * page sends no Referer anywhere: its own URL holds the signature.
 */
export function sendPageOrJson(response: Response, status: number, html: string, json: unknown): void {
  response
    .status(status)
    .set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    })
    // Express negotiates on Accept (first listed wins for */*) and adds `Vary: Accept`.
    .format({
      html: () => response.type('html').send(html),
      json: () => response.json(json),
      default: () => response.type('html').send(html),
    });
}
