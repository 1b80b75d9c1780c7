import { Inject, Injectable } from '@nestjs/common';
import type { PersonalDataSource } from '@eventshop/messaging';
import { PERSONAL_DATA } from '../domain/personal-data.port.js';
import {
  applyToOrder,
  applyToUser,
  emptyUser,
  isOrderEvent,
  type OrderState,
  type TimelineEntry,
  timelineEntryOf,
  type UserState,
} from '../domain/user-read-model.js';
import { type ProjectedEvent, userIdOf } from '../domain/projected-event.js';
import {
  type OrderRow,
  type ProjectionSchema,
  type SqlRunner,
  toOrderState,
  toUserState,
  type UserRow,
} from './projection-tables.js';

/**
 * Writes one event into the projection tables of a schema: load the affected state, run the pure
 * projection, store the result. The live consumer and the rebuild both go through here, which is
 * what makes a rebuilt read model equal to the live one.
 *
 * Contract: call it inside a transaction (the writes of one event commit together). It is
 * idempotent and order-insensitive on its own (see domain/user-read-model.ts), so a duplicate that
 * slips past the inbox, or an overlap between a rebuild and the live consumer, does no harm.
 */
@Injectable()
export class ProjectionWriter {
  constructor(@Inject(PERSONAL_DATA) private readonly personalData: PersonalDataSource) {}

  async apply(transaction: SqlRunner, schema: ProjectionSchema, delivered: ProjectedEvent): Promise<void> {
    const { event } = delivered;
    const userId = userIdOf(event);
    // The one event that needs personal data: asked of user-service before the user's lock is taken.
    // user-service away is a transient failure (the event is retried); an account gone, a null.
    const projected = event.type === 'UserSignedUp' ? { ...delivered, personalData: await this.personalData.find(userId) } : delivered;
    // One writer per user at a time: replicas of the live consumer share the stream, and the order
    // totals below are recomputed from rows another transaction might be changing.
    await transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`read-model:user:${userId}`]);
    if (event.type === 'AccountDeletionRequested') {
      await dropUserViews(transaction, schema, userId, event.data.requestedAt);
      return;
    }
    // Nothing about a forgotten user is projected again: not a late order, not the deletion's own answers.
    if (await isForgottenIn(transaction, schema, userId)) return;
    await appendToTimeline(transaction, schema, timelineEntryOf(projected));
    if (isOrderEvent(event)) {
      const order = applyToOrder(await loadOrder(transaction, schema, event.data.orderId), event);
      await saveOrder(transaction, schema, order);
      await saveOrderTotals(transaction, schema, userId);
    } else {
      const current = (await loadUser(transaction, schema, userId)) ?? emptyUser(userId);
      const next = applyToUser(current, projected);
      if (next !== current) await saveUser(transaction, schema, next);
    }
  }
}

/** Drops every view of the user and remembers them as forgotten (idempotent). */
async function dropUserViews(sql: SqlRunner, schema: ProjectionSchema, userId: string, requestedAt: string): Promise<void> {
  await sql.query(`INSERT INTO ${schema}.forgotten_users (user_id, forgotten_at) VALUES ($1, $2) ON CONFLICT (user_id) DO NOTHING`, [
    userId,
    requestedAt,
  ]);
  await sql.query(`DELETE FROM ${schema}.timeline_entries WHERE user_id = $1`, [userId]);
  await sql.query(`DELETE FROM ${schema}.orders WHERE user_id = $1`, [userId]);
  await sql.query(`DELETE FROM ${schema}.users WHERE user_id = $1`, [userId]);
}

async function isForgottenIn(sql: SqlRunner, schema: ProjectionSchema, userId: string): Promise<boolean> {
  const rows = (await sql.query(`SELECT 1 FROM ${schema}.forgotten_users WHERE user_id = $1`, [userId])) as unknown[];
  return rows.length > 0;
}

async function appendToTimeline(sql: SqlRunner, schema: ProjectionSchema, entry: TimelineEntry): Promise<void> {
  // The same event stored twice in the stream (published again after the dedup window) is one
  // entry; it keeps its first position whichever copy arrives first.
  await sql.query(
    `INSERT INTO ${schema}.timeline_entries
       (event_id, user_id, type, version, occurred_at, correlation_id, source, stream_sequence)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (event_id) DO UPDATE
       SET stream_sequence = LEAST(timeline_entries.stream_sequence, EXCLUDED.stream_sequence)`,
    [
      entry.eventId,
      entry.userId,
      entry.type,
      entry.version,
      entry.occurredAt,
      entry.correlationId,
      entry.source,
      entry.streamSequence,
    ],
  );
}

async function loadUser(sql: SqlRunner, schema: ProjectionSchema, userId: string): Promise<UserState | null> {
  const rows = (await sql.query(`SELECT * FROM ${schema}.users WHERE user_id = $1`, [userId])) as UserRow[];
  return rows[0] ? toUserState(rows[0]) : null;
}

/** Upserts the user's own columns; the order totals are left to saveOrderTotals. */
async function saveUser(sql: SqlRunner, schema: ProjectionSchema, user: UserState): Promise<void> {
  await sql.query(
    `INSERT INTO ${schema}.users
       (user_id, email, name, signed_up_at, welcome_email_sent_at, newsletter_status, newsletter_since, newsletter_sequence)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (user_id) DO UPDATE SET
       email = EXCLUDED.email,
       name = EXCLUDED.name,
       signed_up_at = EXCLUDED.signed_up_at,
       welcome_email_sent_at = EXCLUDED.welcome_email_sent_at,
       newsletter_status = EXCLUDED.newsletter_status,
       newsletter_since = EXCLUDED.newsletter_since,
       newsletter_sequence = EXCLUDED.newsletter_sequence`,
    [
      user.userId,
      user.profile?.email ?? null,
      user.profile?.name ?? null,
      user.profile?.signedUpAt ?? null,
      user.welcomeEmailSentAt,
      user.newsletter?.status ?? 'never',
      user.newsletter?.since ?? null,
      user.newsletter?.streamSequence ?? null,
    ],
  );
}

/**
 * The user's order count and total spent, recomputed from the orders table in the statement that
 * stores them: the rule of the domain's `orderTotals` (placed orders count, cancelled ones do not)
 * in SQL, so no row of the user's orders travels to this process (loading them all on every order
 * event grew with the customer's history: the read model's largest cost in bench:shop).
 */
async function saveOrderTotals(sql: SqlRunner, schema: ProjectionSchema, userId: string): Promise<void> {
  // An order can arrive before its user's sign-up: the row then starts without a profile.
  await sql.query(
    `INSERT INTO ${schema}.users (user_id, order_count, total_spent_cents)
     SELECT $1::uuid, count(*) FILTER (WHERE status = 'placed'), COALESCE(sum(total_cents) FILTER (WHERE status = 'placed'), 0)
       FROM ${schema}.orders WHERE user_id = $1::uuid
     ON CONFLICT (user_id) DO UPDATE SET order_count = EXCLUDED.order_count, total_spent_cents = EXCLUDED.total_spent_cents`,
    [userId],
  );
}

async function loadOrder(sql: SqlRunner, schema: ProjectionSchema, orderId: string): Promise<OrderState | null> {
  const rows = (await sql.query(`SELECT * FROM ${schema}.orders WHERE order_id = $1`, [orderId])) as OrderRow[];
  return rows[0] ? toOrderState(rows[0]) : null;
}

async function saveOrder(sql: SqlRunner, schema: ProjectionSchema, order: OrderState): Promise<void> {
  await sql.query(
    `INSERT INTO ${schema}.orders (order_id, user_id, status, total_cents, items, placed_at, cancelled_at, order_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (order_id) DO UPDATE SET
       status = EXCLUDED.status,
       total_cents = EXCLUDED.total_cents,
       items = EXCLUDED.items,
       placed_at = EXCLUDED.placed_at,
       cancelled_at = EXCLUDED.cancelled_at,
       order_version = EXCLUDED.order_version`,
    [
      order.orderId,
      order.userId,
      order.status,
      order.totalCents,
      order.items === null ? null : JSON.stringify(order.items),
      order.placedAt,
      order.cancelledAt,
      order.orderVersion,
    ],
  );
}
