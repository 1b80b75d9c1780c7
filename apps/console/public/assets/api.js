// Every request the page makes goes to the console's own origin.

/** A fresh correlation id for one Try-it action, so it can be followed through every service. */
export function newCorrelationId() {
  return `console-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Calls a service's public REST API through the console's pass-through
 * (`/api/services/<service>/<path>`), exactly as any client would. Resolves with the status, the
 * body (JSON when it is JSON) and the headers that matter; never throws for an HTTP error.
 */
export async function callService(service, method, path, { body, token, correlationId } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  if (correlationId) headers['X-Correlation-Id'] = correlationId;
  const started = performance.now();
  let response;
  try {
    response = await fetch(`/api/services/${service}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    return { service, method, path, status: 0, body: String(error), correlationId, ms: 0 };
  }
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return {
    service,
    method,
    path,
    status: response.status,
    body: parsed,
    correlationId: response.headers.get('X-Correlation-Id') ?? correlationId,
    retryAfter: response.headers.get('Retry-After'),
    ms: Math.round(performance.now() - started),
  };
}

export async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

/** An operator action on the dead letters; the admin token goes in X-Admin-Token. */
export async function deadLetterAction(path, adminToken) {
  const response = await fetch(`/api/dead-letters/${path}`, {
    method: 'POST',
    headers: { Accept: 'application/json', 'X-Admin-Token': adminToken },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.message ?? `${response.status} ${response.statusText}`);
  return body;
}
