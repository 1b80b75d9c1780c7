import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';

const MAX_EVENTS = 500;

/**
 * The live event stream: an EventSource on `/api/events` (Server-Sent Events from an ordered
 * consumer on the server). Events arrive oldest first; the list keeps the newest MAX_EVENTS,
 * newest first. EventSource reconnects by itself and resumes after the last id it saw.
 */
export function useEventStream() {
  const [events, setEvents] = useState([]);
  const [status, setStatus] = useState('connecting');
  useEffect(() => {
    const source = new EventSource('/api/events');
    let pending = [];
    let scheduled = false;
    // A backlog arrives as a burst: render once per frame, not once per event.
    const flush = () => {
      scheduled = false;
      const arrived = pending;
      pending = [];
      setEvents((current) => {
        const known = new Set(current.map((event) => event.sequence));
        const fresh = arrived.filter((event) => !known.has(event.sequence)).reverse();
        return [...fresh, ...current].slice(0, MAX_EVENTS);
      });
    };
    source.addEventListener('integration-event', (message) => {
      pending.push(JSON.parse(message.data));
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(flush);
      }
    });
    source.onopen = () => setStatus('live');
    source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    return () => source.close();
  }, []);
  return { events, status };
}

/** The rest of the system's state, polled from `/api/snapshot` every `intervalMs` while the page is visible. */
export function useSnapshot(intervalMs = 1000) {
  const [snapshot, setSnapshot] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer;
    const poll = async () => {
      if (!document.hidden) {
        try {
          const next = await getJson('/api/snapshot');
          if (!stopped) {
            setSnapshot(next);
            setError(null);
          }
        } catch (failure) {
          if (!stopped) setError(String(failure));
        }
      }
      if (!stopped) timer = setTimeout(poll, intervalMs);
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalMs, tick]);
  // After an action (a replay), read again at once instead of waiting for the next tick.
  return { snapshot, error, refresh: () => setTick((n) => n + 1) };
}
