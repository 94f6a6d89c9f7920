/**
 * The filters and paging of the "Customer synchronization status" list, parsed strictly from a
 * query string: an unknown parameter or value is an error naming it, never silently ignored (an
 * operator who mistypes `status=failed` must not be shown every operation as if none failed).
 */
import { z } from 'zod';
import { GUID } from '../../domain/identity';
import { ENTITIES, STATUSES } from '../../domain/operation';
import type { SyncStatusFilter } from '../../ports/sync-status-read-model';
import { decodePageToken, parseQuery } from '../query-string';

export type { SyncStatusFilter };

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface ListQuery {
  filter: SyncStatusFilter;
  limit: number;
  /** Keyset cursor: only rows whose sortKey (`createdAt|operationId`) is below it. */
  after?: string;
}

/** A row's sortKey, `createdAt|operationId`: the list's keyset cursor. */
const SORT_KEY = /^\d{4}-\d\d-\d\dT[^|]+\|[A-Za-z0-9-]{1,100}$/;

export const listQuerySchema = z.strictObject({
  status: z.enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` }).optional(),
  channelId: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,50}$/, 'must be a channel id (letters, digits, _)')
    .optional(),
  entity: z.enum(ENTITIES, { error: `must be one of ${ENTITIES.join(', ')}` }).optional(),
  customerAccount: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,20}$/, 'must be an account number such as C000000001')
    .optional(),
  custAccountAsync: z.string().regex(GUID, 'must be a GUID').optional(),
  email: z.string().trim().min(3).max(254, 'must be at most 254 characters').optional(),
  since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 timestamp such as 2026-11-21T10:00:00Z' }).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be from 1 to ${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`))
    .optional(),
  continuationToken: z.string().max(500).optional(),
});

/**
 * Parses the list's query parameters. Accepts anything iterable as `[name, value]` pairs (the
 * Functions `URLSearchParams`); a parameter given twice is an error rather than a guess.
 */
export function parseListQuery(params: Iterable<[string, string]>): ListQuery {
  const { limit, continuationToken, since, email, ...rest } = parseQuery(listQuerySchema, params);
  const after = continuationToken === undefined ? undefined : decodePageToken(continuationToken, (cursor) => (SORT_KEY.test(cursor) ? cursor : undefined));
  return {
    filter: { ...rest, ...(email ? { email: email.toLowerCase() } : {}), ...(since ? { since: new Date(since).toISOString() } : {}) },
    limit: limit ?? DEFAULT_PAGE_SIZE,
    ...(after !== undefined ? { after } : {}),
  };
}
