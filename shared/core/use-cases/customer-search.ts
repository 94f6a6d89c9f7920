/**
 * The storefront's customer search: `?email=`, `?phone=`, `?name=`, `?accountNumber=` (any
 * together, all must match) on one channel, pending sync or not, from the moment the sign-up was
 * answered. The query string is parsed as strictly as the operators' list: an unknown parameter,
 * a parameter given twice, a bad value or a token this API did not hand out is a 400 naming it.
 */
import { z } from 'zod';
import type { AppConfig } from '../config/settings';
import { customerViewSchema, toView } from '../domain/channel-customer';
import { CustomerSearchCriteria, nameWords, normalizeEmail, normalizePhone } from '../domain/customer-search';
import { notFound } from '../domain/errors';
import { GUID } from '../domain/identity';
import { emailSchema } from '../domain/validation';
import type { CustomerSearch } from '../ports/customer-search';
import { decodePageToken, encodePageToken, parseQuery } from './query-string';

export const SEARCH_DEFAULT_PAGE_SIZE = 20;
export const SEARCH_MAX_PAGE_SIZE = 100;
/** Each word of a name is one more index lookup: a few are enough to single a customer out. */
const MAX_NAME_WORDS = 5;

export const customerSearchQuery = z
  .strictObject({
    email: emailSchema.optional().meta({ description: "Exact, case-insensitive: the customer's email or one of its Email contacts." }),
    phone: z
      .string()
      // Trimmed: an unencoded `+` in a query string arrives as a space.
      .trim()
      .regex(/^[+(]?[0-9][0-9 ().-]{2,39}$/, 'must be a phone number (digits, spaces, + ( ) . -)')
      .optional()
      .meta({ description: 'Exact after normalising formatting (digits only): `+1 (555) 010-7788` finds `+15550107788`.' }),
    name: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .refine((s) => s.isWellFormed() && !/\p{Cc}/u.test(s), 'must be well-formed text without control characters')
      .refine((s) => nameWords(s).length <= MAX_NAME_WORDS, `must be at most ${MAX_NAME_WORDS} words`)
      .optional()
      .meta({
        description:
          'Case-insensitive prefix of the first name, last name or organization name (or of one of their words); several words must each match (`ann le` finds Ann Lee).',
      }),
    accountNumber: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,50}$/, 'must be an account number such as C000000001, or a custAccountAsync GUID')
      .optional()
      .meta({ description: 'Exact: the HQ account number, or the temporary GUID account (`custAccountAsync`) of a customer pending sync.' }),
    pageSize: z
      .string()
      .regex(/^\d+$/, `must be a whole number from 1 to ${SEARCH_MAX_PAGE_SIZE}`)
      .transform(Number)
      .pipe(z.number().int().min(1, `must be from 1 to ${SEARCH_MAX_PAGE_SIZE}`).max(SEARCH_MAX_PAGE_SIZE, `must be from 1 to ${SEARCH_MAX_PAGE_SIZE}`))
      .optional()
      .meta({ description: `Customers per page, 1 to ${SEARCH_MAX_PAGE_SIZE}; default ${SEARCH_DEFAULT_PAGE_SIZE}.` }),
    continuationToken: z.string().max(500, 'is not a token this API handed out').optional().meta({ description: 'From the previous page; opaque.' }),
  })
  .refine((q) => q.email !== undefined || q.phone !== undefined || q.name !== undefined || q.accountNumber !== undefined, {
    message: 'give at least one of email, phone, name, accountNumber',
  });

export const customerSearchPageSchema = z
  .object({
    customers: z.array(customerViewSchema).meta({ description: 'The matches in a stable order (by customer id), each as GET of the customer answers it.' }),
    continuationToken: z.string().nullable().meta({ description: 'Pass it back as `continuationToken` for the next page; null on the last page.' }),
  })
  .meta({ id: 'CustomerSearchPage' });
export type CustomerSearchPage = z.output<typeof customerSearchPageSchema>;

export interface CustomerSearchDeps {
  config: Pick<AppConfig, 'channels'>;
  search: CustomerSearch;
}

export class CustomerSearchService {
  constructor(private readonly deps: CustomerSearchDeps) {}

  /** One page of the channel's customers matching the query; NotFound for an unknown channel. */
  async search(channelId: string, params: Iterable<[string, string]>): Promise<CustomerSearchPage & { criteria: (keyof CustomerSearchCriteria)[] }> {
    if (!this.deps.config.channels.has(channelId)) throw notFound(`channel ${channelId}`);
    const { pageSize = SEARCH_DEFAULT_PAGE_SIZE, continuationToken, ...query } = parseQuery(customerSearchQuery, params);
    const criteria: CustomerSearchCriteria = {
      ...(query.email !== undefined ? { email: normalizeEmail(query.email) } : {}),
      ...(query.phone !== undefined ? { phone: normalizePhone(query.phone) } : {}),
      ...(query.name !== undefined ? { nameWords: nameWords(query.name) } : {}),
      ...(query.accountNumber !== undefined ? { accountNumber: GUID.test(query.accountNumber) ? query.accountNumber.toLowerCase() : query.accountNumber } : {}),
    };
    const after = continuationToken === undefined ? undefined : decodePageToken(continuationToken, (id) => (GUID.test(id) ? id.toLowerCase() : undefined));
    const found = await this.deps.search.search(channelId, criteria, { after, limit: pageSize + 1 });
    const page = found.slice(0, pageSize);
    return {
      customers: page.map(toView),
      continuationToken: found.length > pageSize ? encodePageToken(page[page.length - 1].id) : null,
      criteria: Object.keys(criteria) as (keyof CustomerSearchCriteria)[],
    };
  }
}
