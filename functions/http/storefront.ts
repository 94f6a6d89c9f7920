/**
 * The storefront (channel) API: thin adapters from HTTP to the customer service.
 */
import type { HttpRequest } from '@azure/functions';
import type { CustomerSearchPage, CustomerSearchService } from '../../shared/core/use-cases/customer-search';
import type { CustomerService } from '../../shared/core/use-cases/customers';
import { HttpHandler, json, readJson, withProblems } from './problem';

type Customers = () => CustomerService;

const STATUS = { accepted: 202, created: 201, existing: 200 } as const;

function customerLocation(request: HttpRequest, channelId: string, customerId: string): string {
  return new URL(`/api/channels/${encodeURIComponent(channelId)}/customers/${customerId}`, request.url).pathname;
}

export function signUpHandler(customers: Customers): HttpHandler {
  return withProblems(async (request, context) => {
    const channelId = request.params.channelId;
    const body = await readJson(request);
    const { outcome, customer } = await customers().signUp(channelId, body);
    context.log(`sign-up on channel ${channelId}: customer ${customer.customerId} ${outcome} (${customer.mode})`);
    return json(STATUS[outcome], customer, { location: customerLocation(request, channelId, customer.customerId) });
  });
}

export function getCustomerHandler(customers: Customers): HttpHandler {
  return withProblems(async (request) => json(200, await customers().get(request.params.channelId, request.params.customerId)));
}

export function editCustomerHandler(customers: Customers): HttpHandler {
  return withProblems(async (request, context) => {
    const { channelId, customerId } = request.params;
    const body = await readJson(request);
    const { mode, customer } = await customers().edit(channelId, customerId, body, idempotencyKey(request));
    context.log(`edit of customer ${customer.customerId} on channel ${channelId} (${mode})`);
    return json(mode === 'async' ? 202 : 200, customer);
  });
}

export function addAddressHandler(customers: Customers): HttpHandler {
  return withProblems(async (request, context) => {
    const { channelId, customerId } = request.params;
    const body = await readJson(request);
    const { mode, customer } = await customers().addAddress(channelId, customerId, body, idempotencyKey(request));
    context.log(`address added to customer ${customer.customerId} on channel ${channelId} (${mode})`);
    return json(mode === 'async' ? 202 : 201, customer, { location: customerLocation(request, channelId, customer.customerId) });
  });
}

/** GET /api/channels/{channelId}/customers?email=|phone=|name=|accountNumber=: one page of matches. */
export function searchCustomersHandler(search: () => CustomerSearchService): HttpHandler {
  return withProblems(async (request, context) => {
    const channelId = request.params.channelId;
    const { criteria, ...page } = await search().search(channelId, request.query.entries());
    // Which criteria and how many matches; never the values searched for (personal data).
    context.log(`customer search on channel ${channelId} by ${criteria.join(', ')}: ${page.customers.length} found`);
    return json(200, page satisfies CustomerSearchPage, { 'cache-control': 'no-store' });
  });
}

function idempotencyKey(request: HttpRequest): string | undefined {
  const key = request.headers.get('idempotency-key')?.trim();
  return key ? key.slice(0, 200) : undefined;
}
