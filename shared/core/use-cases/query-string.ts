/**
 * The query string of a list or search route: parsed strictly, and its page tokens. Every list
 * answers "which parameter is wrong" the same way, and hands out tokens no client can forge into
 * a query of its own.
 */
import type { z } from 'zod';
import { FieldError, ValidationError } from '../domain/validation';

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

/** A page token: the page's last cursor, base64url JSON. Opaque to clients, easy to debug. */
export function encodePageToken(after: string): string {
  return Buffer.from(JSON.stringify({ after }), 'utf8').toString('base64url');
}

/**
 * The cursor in a token this API handed out; `cursor` accepts it (returning it, normalised) or
 * refuses it (undefined). Anything else is a 400 on `continuationToken`.
 */
export function decodePageToken(token: string, cursor: (after: string) => string | undefined): string {
  const invalid = new ValidationError([{ path: '/continuationToken', message: 'is not a token this API handed out' }]);
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid;
  let after: unknown;
  try {
    after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown } | null)?.after;
  } catch {
    // falls through to the same answer as a well-formed token with the wrong content
  }
  const accepted = typeof after === 'string' ? cursor(after) : undefined;
  if (accepted === undefined) throw invalid;
  return accepted;
}
