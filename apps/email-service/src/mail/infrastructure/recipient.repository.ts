import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type Recipient, UnknownRecipientError } from '../domain/recipient.js';
import { RecipientRecord } from './recipient.record.js';

@Injectable()
export class RecipientRepository {
  constructor(private readonly dataSource: DataSource) {}

  async save(transaction: EntityManager, recipient: Recipient): Promise<void> {
    await transaction.upsert(RecipientRecord, { ...recipient }, ['userId']);
  }

  /** The recipient, or `UnknownRecipientError` (transient: their sign-up event is still on its way). */
  async get(userId: string): Promise<Recipient> {
    const recipient = await this.dataSource.getRepository(RecipientRecord).findOneBy({ userId });
    if (!recipient) throw new UnknownRecipientError(userId);
    return recipient;
  }
}
