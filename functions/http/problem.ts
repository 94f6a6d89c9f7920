/**
 * RFC 9457 problem details for every error the API answers, and the request-body reading that
 * refuses what is not a small JSON object before any work is done.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { ConfigurationError } from '../../shared/core/config/settings';
import { DomainError, ErrorCode } from '../../shared/core/domain/errors';
import { FieldError, fieldErrorSchema, ValidationError } from '../../shared/core/domain/validation';

/** Request bodies above this are refused with 413: a sign-up is a few kilobytes. */
export const MAX_BODY_BYTES = 32 * 1024;
/** Nesting deeper than any valid body is refused before validation walks it. */
const MAX_DEPTH = 8;

export interface Problem {
  status: number;
  title: string;
  detail: string;
  type?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/**
 * Every error answer, as the API documents it (`application/problem+json`). Extension members
 * name what the error is about (`feature`, `fields`, `operationId`, `customerId`, `reason`,
 * `instanceId`, `retryAfterSeconds`); RFC 9457 lets clients ignore the ones they do not know.
 */
export const problemSchema = z
  .looseObject({
    type: z.string().meta({ description: 'A URI reference naming the kind of problem, e.g. `/problems/invalid-request`.' }),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    errors: z.array(fieldErrorSchema).optional().meta({ description: 'For validation errors: each offending field or query parameter.' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

export function problem({ status, title, detail, type, ...rest }: Problem, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
    body: JSON.stringify({ type: type ?? `/problems/${slug(title)}`, title, status, detail, ...rest }),
  };
}

const DOMAIN_STATUS: Record<ErrorCode, { status: number; title: string }> = {
  NotFound: { status: 404, title: 'Not found' },
  FeatureNotEnabled: { status: 422, title: 'Feature not enabled' },
  HqUnavailable: { status: 503, title: 'HQ unavailable' },
  CustomerPendingSync: { status: 409, title: 'CustomerPendingSync' },
  Conflict: { status: 409, title: 'Conflict' },
  PreconditionFailed: { status: 412, title: 'Precondition failed' },
  PreconditionRequired: { status: 428, title: 'Precondition required' },
  OperationCompleted: { status: 409, title: 'Operation completed' },
};

export type HttpHandler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

/** A handler whose thrown errors are answered as problem responses: the one place every route maps them. */
export function withProblems(handle: HttpHandler): HttpHandler {
  return async (request, context) => {
    try {
      return await handle(request, context);
    } catch (error) {
      return errorResponse(error, context);
    }
  };
}

/** Maps any error to a problem response; unexpected ones are logged by id only and answered 500. */
export function errorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof ValidationError) {
    return problem({ status: 400, title: 'Invalid request', detail: 'The request body is not valid.', errors: error.errors });
  }
  if (error instanceof BadRequest) return problem(error.problem);
  if (error instanceof DomainError) {
    const { status, title } = DOMAIN_STATUS[error.code];
    const headers: Record<string, string> = {};
    if (error.code === 'HqUnavailable') headers['retry-after'] = String(error.details.retryAfterSeconds ?? 60);
    return problem({ status, title, detail: error.message, ...error.details }, headers);
  }
  if (error instanceof ConfigurationError) {
    context.error(`configuration error: ${error.message}`);
    return problem({ status: 500, title: 'Configuration error', detail: 'The app is misconfigured; see the log.' });
  }
  context.error(`unexpected error in invocation ${context.invocationId}: ${(error as Error)?.name}: ${(error as Error)?.message}`);
  return problem({ status: 500, title: 'Internal error', detail: `Something failed; quote invocation ${context.invocationId}.` });
}

export class BadRequest extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

/** The body as parsed JSON, or a 4xx: wrong media type, too large, not JSON, too deep. */
export async function readJson(request: HttpRequest): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new BadRequest({ status: 415, title: 'Unsupported media type', detail: 'Send the body as application/json.' });
  }
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw tooLarge();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequest({ status: 400, title: 'Malformed JSON', detail: 'The request body is not valid JSON.' });
  }
  if (depth(body) > MAX_DEPTH) {
    throw new BadRequest({ status: 400, title: 'Invalid request', detail: `The body nests deeper than ${MAX_DEPTH} levels.` });
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequest({ status: 400, title: 'Invalid request', detail: 'The body must be a JSON object.' });
  }
  return body;
}

function tooLarge(): BadRequest {
  return new BadRequest({ status: 413, title: 'Payload too large', detail: `The body must be at most ${MAX_BODY_BYTES} bytes.` });
}

function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  for (const child of Object.values(value)) max = Math.max(max, depth(child));
  return max + 1;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers };
}

function slug(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
