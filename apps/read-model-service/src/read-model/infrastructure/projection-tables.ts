import type { NewsletterStatus, OrderLine, OrderState, OrderStatus, OrderTotals, TimelineEntry, UserState } from '../domain/user-read-model.js';

/*
 * The projection tables live in a PostgreSQL schema of their own, so a rebuild can build a complete
 * second copy next to them and swap the two with a rename (see rebuild/).
 *
 * They are disposable: everything in them can be recomputed from the event history. Their DDL is
 * therefore defined once, here, and used both by the first migration and by every rebuild. To change
 * their shape, change this DDL and run a rebuild; there are no ALTER migrations for projections.
 */

/** The generation queries read and the live consumer writes. */
export const LIVE_SCHEMA = 'read_model';
/** Where a rebuild builds the next generation. */
export const REBUILD_SCHEMA = 'read_model_rebuild';
/** Where the replaced generation waits to be dropped, right after a swap. */
export const RETIRED_SCHEMA = 'read_model_retired';

/** Only these names are ever spliced into SQL (identifiers cannot be bound as parameters). */
export type ProjectionSchema = typeof LIVE_SCHEMA | typeof REBUILD_SCHEMA;

/** Anything that runs SQL: an EntityManager inside a transaction, a QueryRunner, the DataSource. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** Creates the schema and its (empty) projection tables. */
export async function createProjectionTables(sql: SqlRunner, schema: ProjectionSchema): Promise<void> {
  await sql.query(`CREATE SCHEMA ${schema}`);
  // One row per user that any event mentioned; a user is "known" once signed_up_at is set.
  await sql.query(`
    CREATE TABLE ${schema}.users (
      user_id               UUID        PRIMARY KEY,
      email                 TEXT,
      name                  TEXT,
      signed_up_at          TIMESTAMPTZ,
      welcome_email_sent_at TIMESTAMPTZ,
      newsletter_status     TEXT        NOT NULL DEFAULT 'never',
      newsletter_since      TIMESTAMPTZ,
      newsletter_sequence   BIGINT,
      order_count           INTEGER     NOT NULL DEFAULT 0,
      total_spent_cents     BIGINT      NOT NULL DEFAULT 0,
      CONSTRAINT users_newsletter_status CHECK (newsletter_status IN ('never', 'subscribed', 'unsubscribed')),
      CONSTRAINT users_profile_complete CHECK ((email IS NULL) = (signed_up_at IS NULL) AND (name IS NULL) = (signed_up_at IS NULL))
    )`);
  await sql.query(`
    CREATE TABLE ${schema}.orders (
      order_id      UUID        PRIMARY KEY,
      user_id       UUID        NOT NULL,
      status        TEXT        NOT NULL,
      total_cents   BIGINT      NOT NULL,
      items         JSONB,
      placed_at     TIMESTAMPTZ,
      cancelled_at  TIMESTAMPTZ,
      order_version INTEGER     NOT NULL,
      CONSTRAINT orders_status CHECK (status IN ('placed', 'cancelled'))
    )`);
  await sql.query(`CREATE INDEX orders_by_user ON ${schema}.orders (user_id)`);
  await sql.query(`
    CREATE TABLE ${schema}.timeline_entries (
      event_id        UUID        PRIMARY KEY,
      user_id         UUID        NOT NULL,
      type            TEXT        NOT NULL,
      version         INTEGER     NOT NULL,
      occurred_at     TIMESTAMPTZ NOT NULL,
      correlation_id  TEXT        NOT NULL,
      source          TEXT        NOT NULL,
      stream_sequence BIGINT      NOT NULL
    )`);
  await sql.query(`CREATE INDEX timeline_entries_by_user ON ${schema}.timeline_entries (user_id, occurred_at, stream_sequence)`);
  await createForgottenUsersTable(sql, schema);
}

/**
 * Users whose account deletion was requested: their views are dropped and no event about them is
 * projected again (a late order, a replay). Rebuilt from the stream like everything else here: a
 * rebuild meets the AccountDeletionRequested in the stream and forgets the user again.
 */
export async function createForgottenUsersTable(sql: SqlRunner, schema: ProjectionSchema): Promise<void> {
  await sql.query(`CREATE TABLE IF NOT EXISTS ${schema}.forgotten_users (user_id UUID PRIMARY KEY, forgotten_at TIMESTAMPTZ NOT NULL)`);
}

export interface UserRow {
  user_id: string;
  email: string | null;
  name: string | null;
  signed_up_at: Date | null;
  welcome_email_sent_at: Date | null;
  newsletter_status: NewsletterStatus;
  newsletter_since: Date | null;
  newsletter_sequence: string | null;
  order_count: number;
  /** BIGINT arrives as a string. */
  total_spent_cents: string;
}

export interface OrderRow {
  order_id: string;
  user_id: string;
  status: OrderStatus;
  total_cents: string;
  items: OrderLine[] | null;
  placed_at: Date | null;
  cancelled_at: Date | null;
  order_version: number;
}

export interface TimelineEntryRow {
  event_id: string;
  user_id: string;
  type: string;
  version: number;
  occurred_at: Date;
  correlation_id: string;
  source: string;
  stream_sequence: string;
}

export function toUserState(row: UserRow): UserState {
  return {
    userId: row.user_id,
    profile:
      row.signed_up_at && row.email !== null && row.name !== null
        ? { email: row.email, name: row.name, signedUpAt: row.signed_up_at.toISOString() }
        : null,
    welcomeEmailSentAt: row.welcome_email_sent_at?.toISOString() ?? null,
    newsletter:
      row.newsletter_status === 'never' || !row.newsletter_since
        ? null
        : { status: row.newsletter_status, since: row.newsletter_since.toISOString(), streamSequence: Number(row.newsletter_sequence) },
  };
}

export function toOrderTotals(row: UserRow): OrderTotals {
  return { orderCount: row.order_count, totalSpentCents: Number(row.total_spent_cents) };
}

export function toOrderState(row: OrderRow): OrderState {
  return {
    orderId: row.order_id,
    userId: row.user_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    items: row.items,
    placedAt: row.placed_at?.toISOString() ?? null,
    cancelledAt: row.cancelled_at?.toISOString() ?? null,
    orderVersion: row.order_version,
  };
}

export function toTimelineEntry(row: TimelineEntryRow): TimelineEntry {
  return {
    eventId: row.event_id,
    userId: row.user_id,
    type: row.type,
    version: row.version,
    occurredAt: row.occurred_at.toISOString(),
    correlationId: row.correlation_id,
    source: row.source,
    streamSequence: Number(row.stream_sequence),
  };
}
