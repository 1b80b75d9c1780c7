import { useState } from 'preact/hooks';
import { html } from './html.js';
import { callService, newCorrelationId } from './api.js';
import { json } from './format.js';

/**
 * The Try-it panel: sign up, log in, place and cancel orders — each a plain call to a service's
 * public REST API, with a fresh X-Correlation-Id that `onAction` hands to the page to follow.
 */
export function TryIt({ onAction }) {
  const [session, setSession] = useState(null); // { token, email }
  const [orders, setOrders] = useState([]);
  const [last, setLast] = useState(null);
  const [busy, setBusy] = useState(false);
  const [signUpEmail, setSignUpEmail] = useState(sampleEmail);
  const [logInEmail, setLogInEmail] = useState('');

  const run = async (service, method, path, options = {}) => {
    setBusy(true);
    const correlationId = newCorrelationId();
    try {
      const result = await callService(service, method, path, { ...options, correlationId, token: options.token ?? session?.token });
      setLast(result);
      if (method !== 'GET') onAction(result.correlationId ?? correlationId);
      return result;
    } finally {
      setBusy(false);
    }
  };

  const refreshOrders = async (token = session?.token) => {
    const result = await callService('order-service', 'GET', '/orders', { token });
    if (result.status === 200 && Array.isArray(result.body)) setOrders(result.body);
  };

  const signUp = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = await run('user-service', 'POST', '/users', {
      body: { email: form.get('email'), name: form.get('name'), password: form.get('password'), newsletter: form.get('newsletter') === 'on' },
    });
    if (result.status === 201) {
      // Ready to log in as the new user, and to sign up another one.
      setLogInEmail(String(form.get('email')));
      setSignUpEmail(sampleEmail());
    }
  };

  const logIn = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = await run('user-service', 'POST', '/auth/login', { body: { email: form.get('email'), password: form.get('password') } });
    if (result.status === 200 && result.body?.accessToken) {
      setSession({ token: result.body.accessToken, email: form.get('email') });
      await refreshOrders(result.body.accessToken);
    }
  };

  const placeOrder = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = await run('order-service', 'POST', '/orders', {
      body: { items: [{ sku: form.get('sku'), quantity: Number(form.get('quantity')), unitPriceCents: Number(form.get('unitPriceCents')) }] },
    });
    if (result.status === 201) await refreshOrders();
  };

  const cancel = async (id) => {
    await run('order-service', 'POST', `/orders/${encodeURIComponent(id)}/cancel`);
    await refreshOrders();
  };

  return html`
    <section class="panel try-it" aria-labelledby="try-it-title">
      <h2 id="try-it-title">Try it</h2>
      <p class="hint">Each action is one call to a service's public REST API, with a new correlation id.</p>

      <form id="sign-up" onSubmit=${signUp}>
        <fieldset disabled=${busy}>
          <legend>Sign up <span class="via">user-service · POST /users</span></legend>
          <label for="sign-up-email">Email</label>
          <input id="sign-up-email" name="email" type="email" required autocomplete="off" value=${signUpEmail} onInput=${(e) => setSignUpEmail(e.currentTarget.value)} />
          <label for="sign-up-name">Name</label>
          <input id="sign-up-name" name="name" required value="Ada" />
          <label for="sign-up-password">Password</label>
          <input id="sign-up-password" name="password" type="password" required minlength="8" value="correct horse" autocomplete="new-password" />
          <label class="check"><input name="newsletter" type="checkbox" checked /> Send me the newsletter</label>
          <button type="submit">Sign up</button>
        </fieldset>
      </form>

      <form id="log-in" onSubmit=${logIn}>
        <fieldset disabled=${busy}>
          <legend>Log in <span class="via">user-service · POST /auth/login</span></legend>
          <label for="log-in-email">Email</label>
          <input id="log-in-email" name="email" type="email" required autocomplete="username" value=${logInEmail} onInput=${(e) => setLogInEmail(e.currentTarget.value)} />
          <label for="log-in-password">Password</label>
          <input id="log-in-password" name="password" type="password" required autocomplete="current-password" value="correct horse" />
          <button type="submit">Log in</button>
          ${session && html`<p class="session" role="status">Logged in as <strong>${session.email}</strong></p>`}
        </fieldset>
      </form>

      <form id="place-order" onSubmit=${placeOrder}>
        <fieldset disabled=${busy || !session}>
          <legend>Place an order <span class="via">order-service · POST /orders</span></legend>
          ${!session && html`<p class="hint">Log in first.</p>`}
          <label for="order-sku">SKU</label>
          <input id="order-sku" name="sku" required value="MUG" />
          <div class="pair">
            <span><label for="order-quantity">Quantity</label><input id="order-quantity" name="quantity" type="number" min="1" required value="2" /></span>
            <span><label for="order-price">Unit price (cents)</label><input id="order-price" name="unitPriceCents" type="number" min="0" required value="1250" /></span>
          </div>
          <button type="submit">Place order</button>
        </fieldset>
      </form>

      ${session &&
      html`<div class="orders">
        <h3>My orders</h3>
        ${orders.length === 0 && html`<p class="hint">None yet.</p>`}
        <ul>
          ${orders.map(
            (order) => html`<li key=${order.id}>
              <span>${order.id.slice(0, 8)} · ${order.status} · ${(order.totalCents / 100).toFixed(2)}</span>
              ${order.status !== 'cancelled' &&
              html`<button type="button" disabled=${busy} onClick=${() => cancel(order.id)} aria-label=${`Cancel order ${order.id}`}>Cancel</button>`}
            </li>`,
          )}
        </ul>
      </div>`}

      <div class="last-response" aria-live="polite">
        ${last &&
        html`<p>
            <span class=${`status status-${String(last.status)[0]}`} data-status=${last.status}>${last.status || 'failed'}</span>
            ${last.method} ${last.service}${last.path} · ${last.ms} ms
            ${last.retryAfter && html` · retry after ${last.retryAfter} s`}
          </p>
          <p class="correlation">correlation id <code id="last-correlation-id">${last.correlationId}</code></p>
          <pre>${json(last.body)}</pre>`}
      </div>
    </section>
  `;
}

function sampleEmail() {
  return `ada-${crypto.randomUUID().slice(0, 6)}@example.com`;
}
