import type { OutgoingEmail } from './mailer.port.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The welcome email for a new user. Pure: the same event always gives the same mail. */
export function welcomeEmail(input: { eventId: string; email: string; name: string }): OutgoingEmail {
  return {
    to: input.email,
    subject: 'Welcome to eventshop!',
    text: `Hi ${input.name},\n\nwelcome to eventshop — your account is ready.\n\nThe eventshop team`,
    html: `<p>Hi ${escapeHtml(input.name)},</p><p>welcome to eventshop — your account is ready.</p><p>The eventshop team</p>`,
    messageId: `<welcome.${input.eventId}@eventshop.local>`,
  };
}
