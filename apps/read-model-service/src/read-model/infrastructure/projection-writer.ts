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
import { holdOffSchemaSwap } from './schema-swap-lock.js';

export interface ApplyOptions {
  /**
   * Also hold off a schema swap (its lock shared), taken in the statement that takes the user's
   * lock. The live consumer sets it: its writes must land in whichever generation is live once a
   * waiting swap has committed. A rebuild does not: it writes its own schema, and its last replay
   * runs inside the swap's transaction, which holds that lock exclusively.
   */
  readonly holdOffSchemaSwap?: boolean;
}

/**
 * Writes one event into the projection tables of a schema: load the affected state, run the pure
 * projection, store the result. The live consumer and the rebuild both go through here, which is
 * what makes a rebuilt read model equal to the live one.
 *
 * Contract: call it inside a transaction (the writes of one event commit together). It is
 * idempotent and order-insensitive on its own (see domain/user-read-model.ts), so a duplicate that
 * slips past the inbox, or an overlap between a rebuild and the live consumer, does no harm.
 *
 * Each statement is a round trip, and the round trips (not the SQL) are what an event costs
 * (bench:shop): an order event takes four here (locks, timeline entry, order load, order with its
 * user's totals), seven with the transaction and the inbox claim around it.
 */
@Injectable()
export class ProjectionWriter {
  constructor(@Inject(PERSONAL_DATA) private readonly personalData: PersonalDataSource) {}

  async apply(transaction: SqlRunner, schema: ProjectionSchema, delivered: ProjectedEvent, options: ApplyOptions = {}): Promise<void> {
    const { event } = delivered;
    const userId = userIdOf(event);
    // The one event that needs personal data: asked of user-service before the user's lock is taken.
    // user-service away is a transient failure (the event is retried); an account gone, a null.
    const projected = event.type === 'UserSignedUp' ? { ...delivered, personalData: await this.personalData.find(userId) } : delivered;
    // One writer per user at a time: replicas of the live consumer share the stream, and the order
    // totals below are recomputed from rows another transaction might be changing.
    const userLock = `read-model:user:${userId}`;
    if (options.holdOffSchemaSwap) await holdOffSchemaSwap(transaction, userLock);
    else await transaction.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [userLock]);
    if (event.type === 'AccountDeletionRequested') {
      await dropUserViews(transaction, schema, userId, event.data.requestedAt);
      return;
    }
    // Nothing about a forgotten user is projected again: not a late order, not the deletion's own
    // answers. The check rides on the timeline insert, but it must stay a statement after the lock's:
    // in READ COMMITTED a statement sees what was committed when it started, so only a statement
    // started once the lock is granted sees a deletion committed while this one waited for it.
    if (!(await appendToTimelineUnlessForgotten(transaction, schema, timelineEntryOf(projected)))) return;
    if (isOrderEvent(event)) {
      const order = applyToOrder(await loadOrder(transaction, schema, event.data.orderId), event);
      await saveOrderWithTotals(transaction, schema, order);
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

/**
 * Stores the event's timeline entry unless its user is forgotten, in one statement; false when the
 * user is forgotten (nothing stored, nothing more to project).
 */
async function appendToTimelineUnlessForgotten(sql: SqlRunner, schema: ProjectionSchema, entry: TimelineEntry): Promise<boolean> {
  // The same event stored twice in the stream (published again after the dedup window) is one
  // entry; it keeps its first position whichever copy arrives first. The upsert returns its row
  // whether it inserted or updated, so no row back means the WHERE found the user forgotten.
  // (Casts: parameters in a SELECT list would otherwise be typed text, not the columns' types.)
  const stored = (await sql.query(
    `INSERT INTO ${schema}.timeline_entries
       (event_id, user_id, type, version, occurred_at, correlation_id, source, stream_sequence)
     SELECT $1::uuid, $2::uuid, $3, $4::int, $5::timestamptz, $6, $7, $8::bigint
      WHERE NOT EXISTS (SELECT 1 FROM ${schema}.forgotten_users WHERE user_id = $2::uuid)
     ON CONFLICT (event_id) DO UPDATE
       SET stream_sequence = LEAST(timeline_entries.stream_sequence, EXCLUDED.stream_sequence)
     RETURNING event_id`,
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
  )) as unknown[];
  return stored.length > 0;
}

async function loadUser(sql: SqlRunner, schema: ProjectionSchema, userId: string): Promise<UserState | null> {
  const rows = (await sql.query(`SELECT * FROM ${schema}.users WHERE user_id = $1`, [userId])) as UserRow[];
  return rows[0] ? toUserState(rows[0]) : null;
}

/** Upserts the user's own columns; the order totals are left to saveOrderWithTotals. */
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

async function loadOrder(sql: SqlRunner, schema: ProjectionSchema, orderId: string): Promise<OrderState | null> {
  const rows = (await sql.query(`SELECT * FROM ${schema}.orders WHERE order_id = $1`, [orderId])) as OrderRow[];
  return rows[0] ? toOrderState(rows[0]) : null;
}

/**
 * Upserts the order and, in the same statement, its user's order count and total spent.
 *
 * The totals are recomputed in SQL: the rule of the domain's `orderTotals` (placed orders count,
 * cancelled ones do not), so no row of the user's orders travels to this process (loading them all
 * on every order event grew with the customer's history: the read model's largest cost in
 * bench:shop). One statement rather than two saves a round trip per order event.
 *
 * A data-modifying CTE's rows are not visible to the rest of its statement: the read of `orders`
 * below still sees this order as it was before (or not at all). So the totals are the user's other
 * orders plus this order as just stored (`saved`), never a re-read of this order.
 */
async function saveOrderWithTotals(sql: SqlRunner, schema: ProjectionSchema, order: OrderState): Promise<void> {
  // An order can arrive before its user's sign-up: the users row then starts without a profile.
  await sql.query(
    `WITH saved AS (
       INSERT INTO ${schema}.orders (order_id, user_id, status, total_cents, items, placed_at, cancelled_at, order_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (order_id) DO UPDATE SET
         status = EXCLUDED.status,
         total_cents = EXCLUDED.total_cents,
         items = EXCLUDED.items,
         placed_at = EXCLUDED.placed_at,
         cancelled_at = EXCLUDED.cancelled_at,
         order_version = EXCLUDED.order_version
       RETURNING order_id, user_id, status, total_cents
     )
     INSERT INTO ${schema}.users (user_id, order_count, total_spent_cents)
     SELECT saved.user_id,
            others.order_count + CASE WHEN saved.status = 'placed' THEN 1 ELSE 0 END,
            others.total_spent_cents + CASE WHEN saved.status = 'placed' THEN saved.total_cents ELSE 0 END
       FROM saved,
            LATERAL (SELECT count(*) FILTER (WHERE o.status = 'placed') AS order_count,
                            COALESCE(sum(o.total_cents) FILTER (WHERE o.status = 'placed'), 0) AS total_spent_cents
                       FROM ${schema}.orders o
                      WHERE o.user_id = saved.user_id AND o.order_id <> saved.order_id) AS others
     ON CONFLICT (user_id) DO UPDATE SET order_count = EXCLUDED.order_count, total_spent_cents = EXCLUDED.total_spent_cents`,
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
