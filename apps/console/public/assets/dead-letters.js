import { useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { deadLetterAction } from './api.js';
import { clock, json } from './format.js';

/** Pending outbox rows per service, and the dead-letter stream with replay/discard. */
export function OutboxAndDeadLetters({ outboxes, deadLetters, total, adminEnabled, onChanged, onSelectCorrelation }) {
  const [adminToken, setAdminToken] = useState(() => sessionStorage.getItem('eventshop-admin-token') ?? '');
  const [confirming, setConfirming] = useState(null); // { label, path }
  const [message, setMessage] = useState(null);
  const dialog = useRef(null);

  const ask = (label, path) => {
    setConfirming({ label, path });
    setMessage(null);
    queueMicrotask(() => dialog.current?.showModal());
  };
  const confirm = async () => {
    const action = confirming;
    dialog.current?.close();
    setConfirming(null);
    try {
      const result = await deadLetterAction(action.path, adminToken);
      setMessage({ ok: true, text: `${action.label}: done (${summary(result)})` });
      onChanged();
    } catch (error) {
      setMessage({ ok: false, text: `${action.label}: ${error.message}` });
    }
  };
  const saveToken = (value) => {
    setAdminToken(value);
    sessionStorage.setItem('eventshop-admin-token', value);
  };
  const canAct = adminEnabled && adminToken.length > 0;

  return html`
    <section class="panel dead-letters" aria-labelledby="outbox-title">
      <h2 id="outbox-title">Outbox and dead letters</h2>
      <h3>Pending outbox rows</h3>
      <p class="hint">From each service's <code>GET /metrics</code> (<code>eventshop_outbox_pending_rows</code>).</p>
      <table class="outboxes">
        <thead><tr><th scope="col">service</th><th scope="col">pending</th><th scope="col">oldest</th></tr></thead>
        <tbody>
          ${outboxes.map(
            (o) => html`<tr key=${o.service}>
              <th scope="row">${o.service}</th>
              <td data-outbox=${o.service}>${!o.reachable ? 'unreachable' : o.pendingRows === null ? '—' : o.pendingRows}</td>
              <td>${o.lagSeconds ? `${o.lagSeconds.toFixed(1)} s` : '—'}</td>
            </tr>`,
          )}
        </tbody>
      </table>

      <h3>Dead letters <span class="count" data-dead-letter-count=${total}>${total}</span></h3>
      ${adminEnabled
        ? html`<div class="admin">
            <label for="admin-token">Admin token (X-Admin-Token)</label>
            <input id="admin-token" type="password" autocomplete="off" value=${adminToken} onInput=${(e) => saveToken(e.currentTarget.value)} />
          </div>`
        : html`<p class="hint">Replay and discard are off: start the console with <code>ADMIN_TOKEN</code> set.</p>`}
      ${deadLetters.length > 0 &&
      html`<div class="actions">
        <button type="button" disabled=${!canAct} onClick=${() => ask(`Replay all ${total} dead letters`, 'replay-all')}>Replay all</button>
        <button type="button" class="danger" disabled=${!canAct} onClick=${() => ask(`Discard all ${total} dead letters for good`, 'discard-all')}>
          Discard all
        </button>
      </div>`}
      ${message && html`<p class=${message.ok ? 'ok' : 'warning'} role="status">${message.text}</p>`}
      <ul class="dead-letter-list">
        ${deadLetters.length === 0 && html`<li class="empty">None. A handler that gives up on an event parks it here.</li>`}
        ${deadLetters.map(
          (d) => html`<li key=${d.sequence} data-dead-letter=${d.sequence} data-consumer=${d.consumer} data-event-id=${d.event.id}>
            <p class="reason">${d.reason}</p>
            <p class="meta">
              <strong>${d.event.type}</strong> · handler <code>${d.handler}</code> in <code>${d.consumer}</code> ·
              ${` ${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'} · `}${clock(d.deadLetteredAt)}
              ${d.event.correlationId &&
              html` · <button type="button" class="link" onClick=${() => onSelectCorrelation(d.event.correlationId)}>${d.event.correlationId}</button>`}
            </p>
            <details>
              <summary>Envelope and headers</summary>
              <pre>${json(d.event.envelope)}</pre>
              <pre>${Object.entries(d.event.headers).map(([name, value]) => `${name}: ${value}`).join('\n')}</pre>
            </details>
            <div class="actions">
              <button type="button" disabled=${!canAct} onClick=${() => ask(`Replay dead letter #${d.sequence}`, `${d.sequence}/replay`)}>Replay</button>
              <button type="button" class="danger" disabled=${!canAct} onClick=${() => ask(`Discard dead letter #${d.sequence} for good`, `${d.sequence}/discard`)}>
                Discard
              </button>
            </div>
          </li>`,
        )}
      </ul>
      <dialog ref=${dialog} aria-labelledby="confirm-title" onClose=${() => setConfirming(null)}>
        <form method="dialog">
          <h3 id="confirm-title">Are you sure?</h3>
          <p>${confirming?.label}.</p>
          <div class="actions">
            <button type="submit" value="cancel" autofocus>Cancel</button>
            <button type="button" class="primary" onClick=${confirm}>Yes, ${confirming?.label.split(' ')[0].toLowerCase()}</button>
          </div>
        </form>
      </dialog>
    </section>
  `;
}

function summary(result) {
  if (Array.isArray(result?.replayed)) return `${result.replayed.length} replayed`;
  if (typeof result?.discarded === 'number') return `${result.discarded} discarded`;
  if (result?.subject) return `republished to ${result.subject}`;
  return 'ok';
}
