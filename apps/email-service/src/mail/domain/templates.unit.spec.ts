import { describe, expect, it } from '@jest/globals';
import { cancellationNoticeEmail, orderConfirmationEmail, welcomeEmail } from './templates.js';

const eventId = '5d0e3b5c-6a4f-4f59-9c1e-0a1b2c3d4e5f';

describe('email templates', () => {
  it('welcome: names the user, escapes HTML and derives the Message-ID from the event', () => {
    const mail = welcomeEmail({ eventId, email: 'a@b.c', name: '<Ann & Co>' });
    expect(mail.messageId).toBe(`<welcome.${eventId}@eventshop.local>`);
    expect(mail.text).toContain('Hi <Ann & Co>,');
    expect(mail.html).toContain('Hi &lt;Ann &amp; Co&gt;,');
    expect(mail.headers).toEqual({});
  });

  it('welcome: carries the unsubscribe link (and List-Unsubscribe headers) only when given one', () => {
    const href = 'http://localhost:3003/subscriptions/unsubscribe?user=u&sig=s';
    const mail = welcomeEmail({ eventId, email: 'a@b.c', name: 'Ann', unsubscribeUrl: href });
    expect(mail.text).toContain(href);
    expect(mail.html).toContain(href.replace('&', '&amp;'));
    expect(mail.headers).toEqual({ 'List-Unsubscribe': `<${href}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
  });

  it('order confirmation lists the lines and the total', () => {
    const mail = orderConfirmationEmail({
      eventId,
      email: 'a@b.c',
      name: 'Ann',
      orderId: 'order-1234567',
      items: [{ sku: 'MUG', quantity: 2, unitPriceCents: 1250 }],
      totalCents: 2500,
    });
    expect(mail.text).toContain('2 × MUG at €12.50');
    expect(mail.text).toContain('Total: €25.00');
    expect(mail.messageId).toBe(`<order-confirmation.${eventId}@eventshop.local>`);
  });

  it('cancellation notice names the order and the amount', () => {
    const mail = cancellationNoticeEmail({ eventId, email: 'a@b.c', name: 'Ann', orderId: 'order-1234567', totalCents: 999 });
    expect(mail.subject).toContain('cancelled');
    expect(mail.text).toContain('€9.99');
  });
});
