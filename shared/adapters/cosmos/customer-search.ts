/**
 * Customer search on the channel's customers container: an index lookup on the normalised search
 * keys each customer document carries (`searchKeys`, written with the customer by
 * channel-customers.ts), never a scan of the container. Every predicate is an equality, an
 * ARRAY_CONTAINS or a STARTSWITH on an indexed path (the container keeps Cosmos' default policy:
 * every path range-indexed), so Cosmos answers from the index and reads only the matching
 * documents. The container is partitioned by `/id` (point reads for sign-up and sync), so one
 * search is one cross-partition query: it fans out to the physical partitions (one per ~50 GB),
 * not to the customers. Paged by keyset on the id.
 */
import type { Container, SqlParameter } from '@azure/cosmos';
import type { ChannelCustomer } from '../../core/domain/channel-customer';
import type { CustomerSearchCriteria } from '../../core/domain/customer-search';
import type { CustomerSearch } from '../../core/ports/customer-search';
import { fromDocument } from './channel-customers';

export class CosmosCustomerSearch implements CustomerSearch {
  constructor(private readonly customers: Container) {}

  async search(channelId: string, criteria: CustomerSearchCriteria, page: { after?: string; limit: number }): Promise<ChannelCustomer[]> {
    const where = ['c.channelId = @channelId'];
    const parameters: SqlParameter[] = [
      { name: '@channelId', value: channelId },
      { name: '@limit', value: page.limit },
    ];
    const add = (condition: string, name: string, value: string) => {
      where.push(condition);
      parameters.push({ name, value });
    };
    if (page.after !== undefined) add('c.id > @after', '@after', page.after);
    if (criteria.email !== undefined) add('ARRAY_CONTAINS(c.searchKeys.emails, @email)', '@email', criteria.email);
    if (criteria.phone !== undefined) add('ARRAY_CONTAINS(c.searchKeys.phones, @phone)', '@phone', criteria.phone);
    criteria.nameWords?.forEach((word, i) => add(`EXISTS(SELECT VALUE n FROM n IN c.searchKeys.names WHERE STARTSWITH(n, @name${i}))`, `@name${i}`, word));
    if (criteria.accountNumber !== undefined) add('(c.accountNumber = @account OR c.custAccountAsync = @account)', '@account', criteria.accountNumber);
    const { resources } = await this.customers.items
      .query<ChannelCustomer>({ query: `SELECT TOP @limit * FROM c WHERE ${where.join(' AND ')} ORDER BY c.id`, parameters })
      .fetchAll();
    return resources.map(fromDocument);
  }
}
