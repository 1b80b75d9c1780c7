import { Column, Entity, PrimaryColumn } from 'typeorm';

/** email-service's own copy of who can be mailed, built from UserSignedUp (no call to user-service). */
@Entity({ name: 'recipients' })
export class RecipientRecord {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text' })
  name!: string;
}
