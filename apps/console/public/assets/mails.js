import { html } from './html.js';
import { clock } from './format.js';

/** The mails the system sent, each tied to the event that caused it (and so to a sign-up or an order). */
export function Mails({ mails, reachable, mailUi, events, filter }) {
  const byId = new Map(events.map((event) => [event.id, event]));
  const rows = mails
    .map((mail) => ({ mail, cause: mail.causedByEventId ? byId.get(mail.causedByEventId) : undefined }))
    .filter(({ cause }) => !filter || cause?.correlationId === filter);
  return html`
    <section class="panel mails" aria-labelledby="mails-title">
      <h2 id="mails-title">Mail</h2>
      <p class="hint">
        Caught by MailDev — <a href=${mailUi} target="_blank" rel="noopener">open MailDev</a>.
        ${!reachable && html` <strong class="warning">MailDev does not answer.</strong>`}
      </p>
      <ul class="mail-list">
        ${rows.length === 0 && html`<li class="empty">No mails${filter ? ' for this correlation id' : ''} yet.</li>`}
        ${rows.map(
          ({ mail, cause }) => html`<li key=${mail.id} data-mail=${mail.id} data-caused-by=${mail.causedByEventId ?? ''}>
            <a href=${mail.link} target="_blank" rel="noopener">${mail.subject}</a>
            <span class="meta">to ${mail.to.join(', ')} · ${clock(mail.date)}</span>
            <span class="meta">${cause ? html`caused by <strong>${cause.type}</strong> · ${cause.correlationId}` : 'cause not in the stream view'}</span>
          </li>`,
        )}
      </ul>
    </section>
  `;
}
