import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The `customers` table: order-service's replica of the accounts announced by `UserSignedUp`. */
@Entity({ name: 'customers' })
export class CustomerRecord {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'signed_up_at', type: 'timestamptz' })
  signedUpAt!: Date;
}
