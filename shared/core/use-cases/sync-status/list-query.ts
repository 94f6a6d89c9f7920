/**
 * The filters and paging of the "Customer synchronization status" list, parsed strictly from a
 * query string: an unknown parameter or value is an error naming it, never silently ignored (an
 * operator who mistypes `status=failed` must not be shown every operation as if none failed).
 */
import { z } from 'zod';
import { ENTITIES, STATUSES } from '../../domain/operation';
import type { SyncStatusFilter } from '../../ports/sync-status-read-model';

export type { SyncStatusFilter };
import { FieldError, ValidationError } from '../../domain/validation';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface ListQuery {
  filter: SyncStatusFilter;
  limit: number;
  /** Keyset cursor: only rows whose sortKey (`createdAt|operationId`) is below it. */
  after?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  const after = continuationToken === undefined ? undefined : decodeToken(continuationToken);
  return {
    filter: { ...rest, ...(email ? { email: email.toLowerCase() } : {}), ...(since ? { since: new Date(since).toISOString() } : {}) },
    limit: limit ?? DEFAULT_PAGE_SIZE,
    ...(after !== undefined ? { after } : {}),
  };
}

/**
 * A query string parsed strictly with `schema` (a `z.strictObject` of string parameters): a
 * parameter given twice, an unknown one and a bad value are each an error naming the parameter
 * (`/limit`), all of them at once. `code` (the function key) is never a parameter of the route.
 */
export function parseQuery<T extends z.ZodType>(schema: T, params: Iterable<[string, string]>): z.output<T> {
  // No prototype: `constructor` or `__proto__` in a query string are unknown parameters like any
  // other, not "given more than once" (inherited) or silently dropped (the prototype setter).
  const raw = Object.create(null) as Record<string, string>;
  const errors: FieldError[] = [];
  for (const [name, value] of params) {
    if (name === 'code') continue; // the function key, when sent in the query string
    if (Object.hasOwn(raw, name)) errors.push({ path: `/${name}`, message: 'is given more than once' });
    Object.defineProperty(raw, name, { value, enumerable: true, configurable: true, writable: true });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) errors.push({ path: `/${key}`, message: 'is not a known query parameter' });
      } else {
        errors.push({ path: `/${issue.path.join('/')}`, message: issue.message });
      }
    }
  }
  if (errors.length > 0 || !parsed.success) throw new ValidationError(errors);
  return parsed.data;
}

/** The token is the last row's sortKey, base64url JSON; opaque to clients, easy to debug. */
export function encodeToken(sortKey: string): string {
  return Buffer.from(JSON.stringify({ after: sortKey }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  const invalid = new ValidationError([{ path: '/continuationToken', message: 'is not a token this API handed out' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof value?.after === 'string' && /^\d{4}-\d\d-\d\dT[^|]+\|[A-Za-z0-9-]{1,100}$/.test(value.after)) return value.after;
  } catch {
    // falls through to the same answer as a well-formed token with the wrong content
  }
  throw invalid;
}
