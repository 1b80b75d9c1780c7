import { Inject, Injectable } from '@nestjs/common';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config.js';

/** A mail the system sent, as the page lists it. */
export interface MailView {
  readonly id: string;
  readonly subject: string;
  readonly to: string[];
  readonly date: string | null;
  /**
   * The event that caused it: email-service gives every mail the Message-ID `<kind.eventId@…>`
   * (so a resend is recognisable), which ties each mail to one event — and through that event's
   * correlation id, to the sign-up or order it came from.
   */
  readonly causedByEventId: string | null;
  /** The mail in MailDev's web UI. */
  readonly link: string;
}

export interface MailList {
  readonly reachable: boolean;
  readonly mails: MailView[];
  /** MailDev's web UI. */
  readonly mailUi: string;
}

interface MailDevMail {
  id?: unknown;
  subject?: unknown;
  to?: Array<{ address?: unknown }>;
  date?: unknown;
  time?: unknown;
  messageId?: unknown;
  headers?: Record<string, unknown>;
}

const MAX_MAILS = 100;

/** The mails MailDev caught, newest first, read from its REST API (`GET /email`). */
@Injectable()
export class CaughtMails {
  private readonly apiUrl: string;
  private readonly uiUrl: string;

  constructor(@Inject(CONSOLE_CONFIG) config: ConsoleConfig) {
    this.apiUrl = config.MAILDEV_URL;
    this.uiUrl = config.MAILDEV_PUBLIC_URL ?? config.MAILDEV_URL;
  }

  async list(): Promise<MailList> {
    let caught: MailDevMail[];
    try {
      caught = await this.fetchMails();
    } catch {
      return { reachable: false, mails: [], mailUi: this.uiUrl };
    }
    const mails = (Array.isArray(caught) ? caught : []).map((mail) => this.toView(mail));
    mails.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
    return { reachable: true, mails: mails.slice(0, MAX_MAILS), mailUi: this.uiUrl };
  }

  /** MailDev 3 serves its REST API under `/api`, MailDev 2 (the common container image) at the root. */
  private async fetchMails(): Promise<MailDevMail[]> {
    for (const path of ['/api/email', '/email']) {
      const response = await fetch(`${this.apiUrl}${path}`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 404) continue;
      if (!response.ok) throw new Error(`MailDev answered ${response.status}`);
      return (await response.json()) as MailDevMail[];
    }
    throw new Error('MailDev has no /api/email or /email');
  }

  private toView(mail: MailDevMail): MailView {
    const id = String(mail.id ?? '');
    const messageId = String(mail.messageId ?? mail.headers?.['message-id'] ?? '');
    const date = mail.date ?? mail.time;
    return {
      id,
      subject: String(mail.subject ?? ''),
      to: (mail.to ?? []).map((to) => String(to.address ?? '')),
      date: typeof date === 'string' ? new Date(date).toISOString() : null,
      causedByEventId: causingEventId(messageId),
      link: `${this.uiUrl}/#/email/${encodeURIComponent(id)}`,
    };
  }
}

/** The event id in an email-service Message-ID, `<kind.<event id>@host>`; null for any other. */
export function causingEventId(messageId: string): string | null {
  const match = /^<?[a-z-]+\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@/i.exec(messageId.trim());
  return match ? (match[1] as string).toLowerCase() : null;
}
