import { html } from './html.js';
import { clock, json, short } from './format.js';
import { STATUS_LABEL, statusFor } from './progress.js';

/** The live event stream, newest first; a click (or Enter) on one shows its envelope and headers. */
export function EventStream({ events, status, filter, selected, onSelect }) {
  const shown = filter ? events.filter((event) => event.correlationId === filter) : events;
  return html`
    <section class="panel stream" id="stream" aria-labelledby="stream-title" tabindex="-1">
      <h2 id="stream-title">
        Live event stream
        <span class=${`live live-${status}`} role="status">${status}</span>
      </h2>
      <p class="hint">
        Every integration event as it lands on JetStream, newest first.
        ${filter ? html` Showing ${shown.length} of ${events.length}.` : html` ${events.length} events.`}
      </p>
      <div class="table-head" aria-hidden="true">
        <span>time</span><span>type</span><span>source</span><span>aggregate</span><span>correlation id</span><span>seq</span>
      </div>
      <ol class="events" aria-label="Events, newest first">
        ${shown.length === 0 && html`<li class="empty">No events${filter ? ' with this correlation id' : ''} yet.</li>`}
        ${shown.map(
          (event) => html`<li key=${event.sequence}>
            <button
              type="button"
              class=${`event ${event.malformed ? 'malformed' : ''}`}
              aria-pressed=${selected === event.sequence}
              aria-label=${`${event.type} v${event.version ?? '?'} from ${event.source || 'unknown'}, correlation id ${event.correlationId || 'none'}`}
              data-type=${event.type}
              data-correlation-id=${event.correlationId}
              data-event-id=${event.id}
              onClick=${() => onSelect(selected === event.sequence ? null : event.sequence)}
            >
              <span class="time">${clock(event.storedAt)}</span>
              <span class="type">${event.type}<small> v${event.version ?? '?'}</small></span>
              <span class="source">${event.source}</span>
              <span class="aggregate" title=${event.aggregateId}>${short(event.aggregateId)}</span>
              <span class="correlation" title=${event.correlationId}>${event.correlationId}</span>
              <span class="seq">#${event.sequence}</span>
              <span class="subject">${event.subject}</span>
            </button>
          </li>`,
        )}
      </ol>
      ${filter === null && events.length > 0 && html`<p class="hint">Tip: pick an event and “Follow” its correlation id to see one sign-up travel through every service.</p>`}
    </section>
  `;
}

/** One event in full: envelope, headers, which groups handled it, a trace link. */
export function EventDetail({ event, groups, deadLetters, jaegerUi, onFilter, onClose }) {
  if (!event) return null;
  const handling = groups
    .map((group) => ({ group, status: statusFor(group, event, deadLetters) }))
    .filter(({ status }) => status !== null);
  return html`
    <section class="panel detail" aria-labelledby="detail-title">
      <h2 id="detail-title">${event.type} <small>v${event.version ?? '?'} · #${event.sequence}</small></h2>
      <div class="actions">
        ${event.correlationId &&
        html`<button type="button" onClick=${() => onFilter(event.correlationId)}>Follow correlation id ${event.correlationId}</button>`}
        ${jaegerUi && event.traceId && html`<a href=${`${jaegerUi}/trace/${event.traceId}`} target="_blank" rel="noopener">Trace in Jaeger</a>`}
        <button type="button" onClick=${onClose}>Close</button>
      </div>
      ${event.malformed && html`<p class="warning">${event.malformed}</p>`}
      <dl class="facts">
        <dt>subject</dt><dd>${event.subject}</dd>
        <dt>event id</dt><dd>${event.id}</dd>
        <dt>source</dt><dd>${event.source}</dd>
        <dt>aggregate</dt><dd>${event.aggregateId}</dd>
        <dt>correlation id</dt><dd>${event.correlationId}</dd>
        <dt>causation id</dt><dd>${event.causationId}</dd>
        <dt>occurred</dt><dd>${event.occurredAt}</dd>
        <dt>stored</dt><dd>${event.storedAt}</dd>
      </dl>
      <h3>Handled by</h3>
      <ul class="handling">
        ${handling.length === 0 && html`<li class="empty">No consumer group listens to this subject.</li>`}
        ${handling.map(({ group, status }) => html`<li key=${group.name} class=${`status-${status}`}>${STATUS_LABEL[status]} <code>${group.name}</code></li>`)}
      </ul>
      <h3>Envelope</h3>
      <pre class="envelope">${json(event.envelope)}</pre>
      <h3>Headers</h3>
      <pre class="headers">${Object.entries(event.headers).map(([name, value]) => `${name}: ${value}`).join('\n')}</pre>
    </section>
  `;
}
