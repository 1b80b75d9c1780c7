/** One email to send. `messageId` is derived from the causing event, so a receiver can spot a resend. */
export interface OutgoingEmail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  /** Extra headers, e.g. List-Unsubscribe. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Sends email. Contract: resolves once the SMTP server accepted the message; rejects otherwise
 * (then it may or may not have been delivered, and a retry may send it again).
 */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
}

export const MAILER = Symbol('MAILER');
