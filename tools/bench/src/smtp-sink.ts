/**
 * A minimal SMTP sink for `bench:shop`, run as a child process of its own (so its CPU is counted
 * apart from the benchmark client's): it accepts every mail, keeps nothing, and reports each one's
 * Message-ID, recipient and arrival time (epoch ms) to the parent over IPC, batched every 10 ms.
 * Production mail goes to an outside provider; MailDev's own parsing and storage are not the system's cost.
 *
 * Started by shop.bench.ts: `fork('smtp-sink.js')`; it answers `{ listening: port }` once up.
 */
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';

export interface SinkMail {
  readonly messageId: string;
  readonly to: string;
  /** performance.timeOrigin + performance.now() at the end of DATA: epoch ms, sub-ms resolution. */
  readonly at: number;
}

export type SinkMessage = { listening: number } | { mails: SinkMail[] };

const send = (message: SinkMessage) => process.send?.(message);
let pending: SinkMail[] = [];
let flushTimer: NodeJS.Timeout | undefined;

function report(mail: SinkMail): void {
  pending.push(mail);
  flushTimer ??= setTimeout(() => {
    flushTimer = undefined;
    const mails = pending;
    pending = [];
    send({ mails });
  }, 10);
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  // Mails in a benchmark are small; no size limit is enforced either way.
  onData(stream, session, callback) {
    let head = '';
    stream.on('data', (chunk: Buffer) => {
      // The Message-ID is in the header block; keep only its first few KiB.
      if (head.length < 8192) head += chunk.toString('latin1');
    });
    stream.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const messageId = /^Message-ID:\s*(\S+)/im.exec(head)?.[1] ?? '';
      for (const recipient of session.envelope.rcptTo) report({ messageId, to: recipient.address, at });
      callback();
    });
  },
});

server.listen(Number(process.env.SMTP_SINK_PORT ?? 0), '127.0.0.1', () => {
  const address = server.server.address();
  send({ listening: typeof address === 'object' && address ? address.port : 0 });
});
process.on('disconnect', () => server.close(() => process.exit(0)));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
