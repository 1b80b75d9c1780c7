import type { OutgoingEmail } from './mailer.port.js';

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);

const money = (cents: number) => `€${(cents / 100).toFixed(2)}`;

/** Every mail carries a Message-ID derived from its event, so a receiver can drop a resend. */
const messageIdFor = (kind: string, eventId: string) => `<${kind}.${eventId}@eventshop.local>`;

interface MailBody {
  readonly to: string;
  readonly subject: string;
  readonly paragraphs: string[];
  readonly link?: { readonly text: string; readonly href: string };
}

function render(kind: string, eventId: string, body: MailBody): OutgoingEmail {
  const text = [...body.paragraphs, ...(body.link ? [`${body.link.text}: ${body.link.href}`] : []), 'The eventshop team'];
  const html = [
    ...body.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(body.link ? [`<p><a href="${escapeHtml(body.link.href)}">${escapeHtml(body.link.text)}</a></p>`] : []),
    '<p>The eventshop team</p>',
  ];
  return {
    to: body.to,
    subject: body.subject,
    text: text.join('\n\n'),
    html: html.join(''),
    messageId: messageIdFor(kind, eventId),
    headers: body.link ? { 'List-Unsubscribe': `<${body.link.href}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } : {},
  };
}

/** The welcome email; it carries the signed unsubscribe link when the user opted in. Pure. */
export function welcomeEmail(input: { eventId: string; email: string; name: string; unsubscribeUrl?: string }): OutgoingEmail {
  return render('welcome', input.eventId, {
    to: input.email,
    subject: 'Welcome to eventshop!',
    paragraphs: [`Hi ${input.name},`, 'welcome to eventshop — your account is ready.'],
    link: input.unsubscribeUrl ? { text: 'Unsubscribe from the newsletter', href: input.unsubscribeUrl } : undefined,
  });
}

export function orderConfirmationEmail(input: {
  eventId: string;
  email: string;
  name: string;
  orderId: string;
  items: ReadonlyArray<{ sku: string; quantity: number; unitPriceCents: number }>;
  totalCents: number;
}): OutgoingEmail {
  return render('order-confirmation', input.eventId, {
    to: input.email,
    subject: `Your order ${input.orderId.slice(0, 8)} is confirmed`,
    paragraphs: [
      `Hi ${input.name},`,
      `thank you for your order ${input.orderId}.`,
      ...input.items.map((line) => `${line.quantity} × ${line.sku} at ${money(line.unitPriceCents)}`),
      `Total: ${money(input.totalCents)}`,
    ],
  });
}

export function cancellationNoticeEmail(input: {
  eventId: string;
  email: string;
  name: string;
  orderId: string;
  totalCents: number;
}): OutgoingEmail {
  return render('order-cancellation', input.eventId, {
    to: input.email,
    subject: `Your order ${input.orderId.slice(0, 8)} was cancelled`,
    paragraphs: [`Hi ${input.name},`, `your order ${input.orderId} was cancelled; ${money(input.totalCents)} will not be charged.`],
  });
}

/**
 * The last mail to a user whose account is being deleted. Its Message-ID derives from the user, not
 * from the event: the process manager may ask again (a new event), and a resend must still collapse
 * into one mail. Pure.
 */
export function accountDeletedEmail(input: { userId: string; email: string; name: string }): OutgoingEmail {
  return render('account-deleted', input.userId, {
    to: input.email,
    subject: 'Your eventshop account is deleted',
    paragraphs: [
      `Hi ${input.name},`,
      'as you asked, your eventshop account is deleted: we have forgotten your email address and your name. ' +
        'Your past orders stay on record without them, as accounting requires.',
      'This is the last mail you get from us.',
    ],
  });
}
