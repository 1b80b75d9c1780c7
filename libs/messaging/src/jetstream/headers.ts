import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { MessageHeaders } from '../message.js';

export function toNatsHeaders(source: MessageHeaders): MsgHdrs {
  const result = natsHeaders();
  for (const [key, value] of Object.entries(source)) result.set(key, value);
  return result;
}

export function fromNatsHeaders(source: MsgHdrs | undefined): MessageHeaders {
  const result: MessageHeaders = {};
  if (!source) return result;
  for (const key of source.keys()) result[key] = source.get(key);
  return result;
}
