import { html } from './html.js';
import { clock } from './format.js';
import { STATUS_LABEL, listensTo, statusFor } from './progress.js';

const RECENT = 6;

/**
 * One lane per service: what it published (its outbox, its latest events) and, per consumer group,
 * the live counts and where each of the latest events it listens to stands.
 */
export function Lanes({ services, events, groups, outboxes, deadLetters, onSelect }) {
  const names = [...services.map((service) => service.name)];
  for (const group of groups) if (!names.includes(group.service)) names.push(group.service);
  return html`
    <section class="panel lanes-panel" aria-labelledby="lanes-title">
      <h2 id="lanes-title">Lanes</h2>
      <p class="hint">
        “Handled” is read from JetStream: an event is handled by a group once the group's ack floor has passed its stream sequence.
      </p>
      <div class="lanes">
        ${names.map((name) => {
          const outbox = outboxes.find((o) => o.service === name);
          const published = events.filter((event) => event.source === name).slice(0, RECENT);
          const declared = services.find((service) => service.name === name)?.publishes ?? [];
          return html`<article class="lane" key=${name} data-lane=${name} aria-labelledby=${`lane-${name}`}>
            <h3 id=${`lane-${name}`}>${name}</h3>
            <p class="outbox">${outboxLine(outbox)}</p>
            <h4>Published</h4>
            ${declared.length === 0 && html`<p class="hint">Publishes nothing.</p>`}
            ${declared.length > 0 && published.length === 0 && html`<p class="hint">${declared.join(', ')} — none yet.</p>`}
            <ul class="published">
              ${published.map(
                (event) => html`<li key=${event.sequence}>
                  <button type="button" class="link" onClick=${() => onSelect(event.sequence)}>${event.type}</button>
                  <span class="meta">${clock(event.storedAt)} · ${event.correlationId}</span>
                </li>`,
              )}
            </ul>
            ${groups
              .filter((group) => group.service === name)
              .map((group) => {
                const recent = events.filter((event) => listensTo(group, event)).slice(0, RECENT);
                return html`<div class="group" key=${group.name} data-group=${group.name}>
                  <h4>${group.handler || group.name}</h4>
                  <p class="counts">
                    <span title="matching events not yet delivered">pending <strong data-count="pending">${group.pending}</strong></span>
                    <span title="delivered, not yet acked">unacked <strong data-count="unacked">${group.ackPending}</strong></span>
                    <span title="unacked and delivered more than once">redelivered <strong data-count="redelivered">${group.redelivered}</strong></span>
                  </p>
                  <ul class="handled">
                    ${recent.map((event) => {
                      const status = statusFor(group, event, deadLetters);
                      return html`<li key=${event.sequence} class=${`status-${status}`} data-event-id=${event.id} data-status=${status}>
                        <span class="badge">${STATUS_LABEL[status]}</span>
                        <button type="button" class="link" onClick=${() => onSelect(event.sequence)}>${event.type}</button>
                        <span class="meta">${event.correlationId}</span>
                      </li>`;
                    })}
                  </ul>
                </div>`;
              })}
          </article>`;
        })}
      </div>
    </section>
  `;
}

function outboxLine(outbox) {
  if (!outbox) return 'outbox: —';
  if (!outbox.reachable) return 'outbox: /metrics unreachable';
  if (outbox.pendingRows === null) return 'outbox: none (publishes nothing)';
  const lag = outbox.lagSeconds ? ` · oldest ${outbox.lagSeconds.toFixed(1)} s` : '';
  return `outbox: ${outbox.pendingRows} pending${lag}`;
}
