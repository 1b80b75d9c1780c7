import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  type TimelineItemView,
  toTimelineItemView,
  toUserOrderView,
  toUserOverview,
  type UserOrderView,
  type UserOverviewView,
} from '../domain/views.js';
import {
  LIVE_SCHEMA,
  type OrderRow,
  type TimelineEntryRow,
  toOrderState,
  toOrderTotals,
  toTimelineEntry,
  toUserState,
  type UserRow,
} from './projection-tables.js';

/**
 * The read side: answers the queries from the live generation of the projection tables.
 *
 * Each query is a single statement, so it reads one consistent snapshot of one generation even
 * while a rebuild swaps generations. A user is unknown (null) until their sign-up was projected,
 * even when orders or newsletter changes of theirs arrived earlier.
 */
@Injectable()
export class ReadModelRepository {
  constructor(private readonly dataSource: DataSource) {}

  async findUserOverview(userId: string): Promise<UserOverviewView | null> {
    const rows: UserRow[] = await this.dataSource.query(`SELECT * FROM ${LIVE_SCHEMA}.users WHERE user_id = $1`, [userId]);
    return rows[0] ? toUserOverview(toUserState(rows[0]), toOrderTotals(rows[0])) : null;
  }

  /** The user's orders, newest first; null for an unknown user. */
  async findUserOrders(userId: string): Promise<UserOrderView[] | null> {
    // The LEFT JOIN yields one all-null order row for a known user without orders, none for an unknown one.
    const rows: Array<Partial<OrderRow>> = await this.dataSource.query(
      `SELECT o.*
         FROM ${LIVE_SCHEMA}.users u
         LEFT JOIN ${LIVE_SCHEMA}.orders o ON o.user_id = u.user_id
        WHERE u.user_id = $1 AND u.signed_up_at IS NOT NULL
        ORDER BY COALESCE(o.placed_at, o.cancelled_at) DESC, o.order_id`,
      [userId],
    );
    if (rows.length === 0) return null;
    return rows.filter((row): row is OrderRow => row.order_id != null).map((row) => toUserOrderView(toOrderState(row)));
  }

  /** Every event about the user, oldest first; null for an unknown user. */
  async findUserTimeline(userId: string): Promise<TimelineItemView[] | null> {
    const rows: Array<Partial<TimelineEntryRow>> = await this.dataSource.query(
      `SELECT t.*
         FROM ${LIVE_SCHEMA}.users u
         LEFT JOIN ${LIVE_SCHEMA}.timeline_entries t ON t.user_id = u.user_id
        WHERE u.user_id = $1 AND u.signed_up_at IS NOT NULL
        ORDER BY t.occurred_at, t.stream_sequence`,
      [userId],
    );
    if (rows.length === 0) return null;
    return rows
      .filter((row): row is TimelineEntryRow => row.event_id != null)
      .map((row) => toTimelineItemView(toTimelineEntry(row)));
  }
}
