import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The `users` table. */
@Entity({ name: 'users' })
export class UserRecord {
  @PrimaryColumn('uuid')
  id!: string;

  /** Stored normalised (trimmed, lower-case); unique. */
  @Column({ type: 'text', unique: true })
  email!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ name: 'newsletter_opt_in', type: 'boolean', default: false })
  newsletterOptIn!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** Set when the user asked for the account to be deleted: from then on it cannot log in. */
  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true })
  deactivatedAt?: Date | null;
}
