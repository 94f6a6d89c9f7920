/**
 * The OpenAPI 3.1 description of every HTTP route the app registers (functions/index.ts), built
 * by zod-openapi from the schemas the app itself uses: the request schemas that validate bodies
 * and query strings, and the answer schemas each handler's answer is typed by. Nothing here is a
 * copy of a schema; a route's statuses and headers are the only things said here, next to each
 * other, where a reviewer can hold them against the handler.
 *
 * Loaded on the first GET /api/openapi.json only (openapi.ts), so app start-up does not pay for
 * zod-openapi or for building the document.
 */
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import { customerViewSchema } from '../../shared/core/domain/channel-customer';
import { addressSchema, customerEditSchema, signUpSchema } from '../../shared/core/domain/validation';
import { customerSearchPageSchema, customerSearchQuery } from '../../shared/core/use-cases/customer-search';
import { configViewSchema } from '../../shared/core/use-cases/config-view';
import { saveBody } from '../../shared/core/use-cases/sync-status/commands';
import { listQuerySchema } from '../../shared/core/use-cases/sync-status/list-query';
import { metricsAnswer, operationDetailAnswer, synchronizeAnswer, syncStatusListAnswer } from './ops-sync-status';
import { problemSchema } from './problem';
import { runQuery, runsAnswer, runsQuery, runSyncAnswer } from './sync-runs';

/** The host's route prefix (host.json `extensions.http.routePrefix`). */
const PREFIX = '/api';

const channelId = z
  .string()
  .regex(/^[A-Za-z0-9_]+$/)
  .meta({ description: 'The channel (online store) id, e.g. `FABRIKAM`: a store exists iff `Channels__{channelId}__functionalityProfile` is set.' });
const customerId = z.string().meta({ description: 'The customer GUID (`customerId`), or its HQ account number once it has one.' });
const operationId = z.string().meta({ description: "The operation GUID; a poison message's row is `poison-` and its queue message id." });

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });

const problem = (description: string, headers?: z.ZodObject): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
  ...(headers ? { headers } : {}),
});

const retryAfter = z.object({
  'Retry-After': z.string().regex(/^\d+$/).meta({ description: 'Seconds to wait before trying again.' }),
});
const location = (what: string) => z.object({ Location: z.string().meta({ description: what }) });

/** Every route: the host's key check, and the one place unexpected errors are answered (withProblems). */
const ALWAYS: Record<string, ZodOpenApiResponseObject> = {
  '401': { description: 'No function key, or a wrong one: answered by the Functions host with an empty body.' },
  '500': problem('Something failed unexpectedly; the detail quotes the invocation id to look up in the logs.'),
};

const BODY_REFUSALS: Record<string, ZodOpenApiResponseObject> = {
  '400': problem('The body is not valid JSON, not an object, nests too deep, or fails validation (`errors` names each field, unknown fields included).'),
  '413': problem('The body is over 32 KB.'),
  '415': problem('The body is not `application/json`.'),
};

/** A real-time call HQ cannot take while it is in servicing. */
const HQ_SERVICING: Record<string, ZodOpenApiResponseObject> = {
  '503': problem('Real time and HQ is unavailable (servicing).', retryAfter),
};

/** A change to an existing customer (edit, add an address). */
const CHANGE_REFUSALS: Record<string, ZodOpenApiResponseObject> = {
  ...BODY_REFUSALS,
  '404': problem('Unknown channel or customer.'),
  '409': problem('`CustomerPendingSync`: real time, and the customer is not in HQ yet.'),
  ...HQ_SERVICING,
};

const op = (operation: ZodOpenApiOperationObject): ZodOpenApiOperationObject => ({
  ...operation,
  responses: { ...operation.responses, ...ALWAYS },
});

const idempotencyKey = z.object({
  'Idempotency-Key': z.string().optional().meta({ description: 'Makes a retry of this request the same operation (at most 200 characters are used).' }),
});

export function buildOpenApiDocument() {
  const customerPath = { path: z.object({ channelId, customerId }) };
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Asynchronous customer creation',
        version: '1.0.0',
        description:
          'Storefront sign-ups reach HQ in real time or asynchronously (a temporary GUID account, then the HQ account number after sync), and the operators\' "Customer synchronization status". Errors are RFC 9457 problem details.',
      },
      servers: [{ url: '/', description: 'The function app; every route is under /api.' }],
      security: [{ functionKey: [] }, { functionKeyQuery: [] }],
      tags: [
        { name: 'Storefront', description: 'The channel API an online store calls.' },
        { name: 'Operations', description: 'HQ operators: customer synchronization status, sync runs, metrics, configuration.' },
        { name: 'API description', description: 'This document.' },
      ],
      components: {
        securitySchemes: {
          functionKey: { type: 'apiKey', in: 'header', name: 'x-functions-key', description: 'An Azure Functions function or host key.' },
          functionKeyQuery: {
            type: 'apiKey',
            in: 'query',
            name: 'code',
            description: 'The same key in the query string (for tools that cannot send headers).',
          },
        },
      },
      paths: {
        [`${PREFIX}/channels/{channelId}/customers`]: {
          get: op({
            operationId: 'searchCustomers',
            tags: ['Storefront'],
            summary: "Search the channel's customers, pending sync included",
            description:
              'By `email`, `phone`, `name` or `accountNumber` (at least one; given together, all must match). A customer is found from the moment its sign-up was answered, whether or not it has synced. Pages are bounded (`pageSize`) and continue with `continuationToken`.',
            requestParams: { path: z.object({ channelId }), query: customerSearchQuery },
            responses: {
              '200': { description: 'A page of matches, each as GET of the customer answers it.', content: json(customerSearchPageSchema) },
              '400': problem(
                'No criterion, an unknown or repeated parameter, a malformed value, a page size out of 1..100, or a token this API did not hand out.',
              ),
              '404': problem('Unknown channel.'),
            },
          }),
          post: op({
            operationId: 'signUpCustomer',
            tags: ['Storefront'],
            summary: 'Sign a customer up',
            description:
              "The store's functionality profile decides: async mode writes the customer with a temporary GUID account and answers 202 at once; real time calls HQ and answers 201 with the account number.",
            requestParams: { path: z.object({ channelId }) },
            requestBody: { required: true, content: json(signUpSchema) },
            responses: {
              '200': {
                description: 'The same `externalIdentity` again: the existing customer, no duplicate.',
                headers: location('The customer.'),
                content: json(customerViewSchema),
              },
              '201': {
                description: 'Real time: the customer is in HQ, with its `accountNumber`.',
                headers: location('The customer.'),
                content: json(customerViewSchema),
              },
              '202': {
                description: 'Async: accepted, `accountNumber: null`, `syncStatus: "Pending"`.',
                headers: location('The customer.'),
                content: json(customerViewSchema),
              },
              ...BODY_REFUSALS,
              '404': problem('Unknown channel.'),
              '422': problem(
                'Enhanced fields (title, secondary contacts, affiliations) in an async sign-up without `EnhancedAsyncCustomerCreation`; `feature` and `fields` name them.',
              ),
              ...HQ_SERVICING,
            },
          }),
        },
        [`${PREFIX}/channels/{channelId}/customers/{customerId}`]: {
          get: op({
            operationId: 'getCustomer',
            tags: ['Storefront'],
            summary: "The channel's view of a customer",
            requestParams: customerPath,
            responses: {
              '200': { description: 'The customer, pending sync or not.', content: json(customerViewSchema) },
              '404': problem('Unknown channel or customer.'),
            },
          }),
          patch: op({
            operationId: 'editCustomer',
            tags: ['Storefront'],
            summary: "Edit the customer's fields",
            requestParams: { ...customerPath, header: idempotencyKey },
            requestBody: { required: true, content: json(customerEditSchema) },
            responses: {
              '200': { description: 'Real time: applied in HQ.', content: json(customerViewSchema) },
              '202': {
                description: '`AsyncCustomerEditing` is effective: an `Update` operation is queued and shown at once.',
                content: json(customerViewSchema),
              },
              ...CHANGE_REFUSALS,
            },
          }),
        },
        [`${PREFIX}/channels/{channelId}/customers/{customerId}/addresses`]: {
          post: op({
            operationId: 'addCustomerAddress',
            tags: ['Storefront'],
            summary: 'Add an address',
            requestParams: { ...customerPath, header: idempotencyKey },
            requestBody: { required: true, content: json(addressSchema) },
            responses: {
              '201': { description: 'Real time: added in HQ.', headers: location('The customer.'), content: json(customerViewSchema) },
              '202': {
                description: '`AsyncCustomerAddressCreation` is effective: queued and shown at once.',
                headers: location('The customer.'),
                content: json(customerViewSchema),
              },
              ...CHANGE_REFUSALS,
            },
          }),
        },
        [`${PREFIX}/ops`]: {
          get: op({
            operationId: 'opsPage',
            tags: ['Operations'],
            summary: 'The operator page (also at /api/ops/)',
            description: 'HTML with its script and style inlined under a CSP nonce. Open it with `?code=<key>`: the page sends that key on its calls.',
            responses: { '200': { description: 'The page.', content: { 'text/html': { schema: z.string() } } } },
          }),
        },
        [`${PREFIX}/ops/customer-sync-status`]: {
          get: op({
            operationId: 'listCustomerSyncStatus',
            tags: ['Operations'],
            summary: 'Customer synchronization status: one row per operation, newest first',
            requestParams: { query: listQuerySchema },
            responses: {
              '200': {
                description: 'A page of rows.',
                headers: z.object({ Link: z.string().optional().meta({ description: '`<next page>; rel="next"` when there is one.' }) }),
                content: json(syncStatusListAnswer),
              },
              '400': problem(
                'An unknown parameter or value, a parameter given twice, a bad timestamp, a limit out of range, or a token this API did not hand out.',
              ),
            },
          }),
        },
        [`${PREFIX}/ops/customer-sync-status/{operationId}`]: {
          get: op({
            operationId: 'getCustomerSyncStatus',
            tags: ['Operations'],
            summary: 'One operation with its change description',
            requestParams: { path: z.object({ operationId }) },
            responses: {
              '200': {
                description: 'The operation.',
                headers: z.object({
                  ETag: z
                    .string()
                    .optional()
                    .meta({ description: "The staged operation's version, for If-Match on Save; absent while it is Pending in the channel." }),
                }),
                content: json(operationDetailAnswer),
              },
              '404': problem('Unknown operation.'),
            },
          }),
          patch: op({
            operationId: 'saveCustomerSyncStatus',
            tags: ['Operations'],
            summary: "Save: edit the operation's payload",
            description:
              "`payload` is a JSON merge patch (RFC 7396) of the operation's payload, validated with the storefront's rules for that entity and operation.",
            requestParams: {
              path: z.object({ operationId }),
              header: z.object({ 'If-Match': z.string().meta({ description: 'The ETag of the operation as read.' }) }),
            },
            requestBody: { required: true, content: json(saveBody) },
            responses: {
              '200': {
                description: 'Saved: the operation as it is now.',
                headers: z.object({ ETag: z.string().meta({ description: 'The new version.' }) }),
                content: json(operationDetailAnswer),
              },
              ...BODY_REFUSALS,
              '404': problem('Unknown operation.'),
              '409': problem('Completed, a poison row, no editable payload, or still Pending in the channel (`reason` says which).'),
              '412': problem('The operation changed since it was read: reload and apply the change again.'),
              '428': problem('No If-Match.'),
            },
          }),
        },
        [`${PREFIX}/ops/customer-sync-status/{operationId}/synchronize`]: {
          post: op({
            operationId: 'synchronizeOperation',
            tags: ['Operations'],
            summary: "Synchronize the operation's customer now",
            requestParams: { path: z.object({ operationId }) },
            responses: {
              '200': { description: "The operation's new row and what the pass did.", content: json(synchronizeAnswer) },
              '404': problem('Unknown operation.'),
              '409': problem('A scheduled sync run is active, a poison row, or the operation is still Pending in the channel (`reason` says which).'),
              '503': problem('HQ is unavailable (servicing).', retryAfter),
            },
          }),
        },
        [`${PREFIX}/ops/sync/run`]: {
          post: op({
            operationId: 'runSync',
            tags: ['Operations'],
            summary: 'Start a sync run now (or wake the continuous loop)',
            requestParams: { query: runQuery },
            responses: {
              '202': {
                description: 'Started, or (continuous mode) the running loop was woken: `started: false`.',
                headers: location("The orchestration's status query URL."),
                content: json(runSyncAnswer),
              },
              '400': problem('A query parameter (it takes none).'),
              '409': problem('Scheduled mode and a run is active.'),
            },
          }),
        },
        [`${PREFIX}/ops/sync/runs`]: {
          get: op({
            operationId: 'listSyncRuns',
            tags: ['Operations'],
            summary: 'Recent sync runs',
            requestParams: { query: runsQuery },
            responses: {
              '200': { description: 'Newest first.', content: json(runsAnswer) },
              '400': problem('A limit out of 1..100, or an unknown parameter.'),
            },
          }),
        },
        [`${PREFIX}/ops/metrics`]: {
          get: op({
            operationId: 'opsMetrics',
            tags: ['Operations'],
            summary: 'Counts by status, oldest pending, queue depth, last run, time to HQ, the sync loop',
            responses: { '200': { description: 'The metrics (not cached).', content: json(metricsAnswer) } },
          }),
        },
        [`${PREFIX}/ops/config`]: {
          get: op({
            operationId: 'opsConfig',
            tags: ['Operations'],
            summary: 'Effective configuration: channels, profiles, modes, features and why not effective',
            responses: {
              '200': { description: 'Built from an allow-list: no key or connection string.', content: json(configViewSchema.meta({ id: 'Config' })) },
            },
          }),
        },
        [`${PREFIX}/openapi.json`]: {
          get: op({
            operationId: 'openApiDocument',
            tags: ['API description'],
            summary: 'This document (OpenAPI 3.1)',
            responses: {
              '200': {
                description: 'The OpenAPI document.',
                content: json(z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.record(z.string(), z.unknown()) })),
              },
            },
          }),
        },
      },
    },
    // `payload` of a Save is checked per entity once merged (commands.ts), not by a schema of its own.
    { allowEmptySchema: { custom: true } },
  );
}
