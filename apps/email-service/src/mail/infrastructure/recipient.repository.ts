import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isForgotten } from '@eventshop/platform';
import { type Recipient, UnknownRecipientError } from '../domain/recipient.js';
import { RecipientRecord } from './recipient.record.js';

@Injectable()
export class RecipientRepository {
  constructor(private readonly dataSource: DataSource) {}

  async save(transaction: EntityManager, recipient: Recipient): Promise<void> {
    await transaction.upsert(RecipientRecord, { ...recipient }, ['userId']);
  }

  /**
   * The recipient; null when the user was forgotten (their account is deleted: no more mail);
   * `UnknownRecipientError` (transient: their sign-up event is still on its way) otherwise.
   */
  async get(userId: string): Promise<Recipient | null> {
    const recipient = await this.find(userId);
    if (recipient) return recipient;
    if (await isForgotten(this.dataSource, userId)) return null;
    throw new UnknownRecipientError(userId);
  }

  /** The recipient if known, else null (no waiting for a sign-up). */
  async find(userId: string): Promise<Recipient | null> {
    // Plain SQL: every mail reads its recipient, and TypeORM's findOneBy cost more than the query.
    const [row]: Array<{ email: string; name: string }> = await this.dataSource.query(`SELECT email, name FROM recipients WHERE user_id = $1`, [
      userId,
    ]);
    return row ? { userId, email: row.email, name: row.name } : null;
  }

  /**
   * Forgets the user's address and name: the recipient row goes, and every record of a mail sent to
   * that address keeps the mail (kind, subject, Message-ID, time) but no longer the address.
   */
  async forget(transaction: EntityManager, recipient: Recipient): Promise<void> {
    await transaction.query(`UPDATE sent_emails SET recipient = $2 WHERE recipient = $1`, [recipient.email, `forgotten-user:${recipient.userId}`]);
    await transaction.delete(RecipientRecord, { userId: recipient.userId });
  }
}
