import type { ReceivedMessage } from '../message.js';

/**
 * Awaits `waiting` while renewing the message's ack deadline every `intervalMs`, so a message a
 * middleware deliberately holds back is not redelivered meanwhile. Does nothing extra for
 * transports without `inProgress`.
 */
export async function keepAliveWhile<T>(message: ReceivedMessage, waiting: Promise<T>, intervalMs: number): Promise<T> {
  if (!message.inProgress) return waiting;
  const timer = setInterval(() => {
    try {
      message.inProgress?.();
    } catch {
      // The connection is closing; the broker redelivers the message after its ack wait anyway.
    }
  }, intervalMs);
  // A held message must not keep a stopping process alive.
  timer.unref();
  try {
    return await waiting;
  } finally {
    clearInterval(timer);
  }
}
