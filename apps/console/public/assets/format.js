/** `12:03:04.123` in the viewer's time zone. */
export function clock(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

export function short(id, length = 8) {
  return id && id.length > length + 1 ? `${id.slice(0, length)}…` : id || '';
}

export function json(value) {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
