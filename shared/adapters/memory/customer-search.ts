import type { ChannelCustomer } from '../../core/domain/channel-customer';
import { CustomerSearchCriteria, matchesSearch } from '../../core/domain/customer-search';
import type { CustomerSearch } from '../../core/ports/customer-search';
import { by, MemoryContainer } from './documents';

/** Search over the memory channel container's documents, by the same keys the Cosmos adapter stores and queries. */
export class MemoryCustomerSearch implements CustomerSearch {
  constructor(private readonly customers: MemoryContainer<ChannelCustomer>) {}

  async search(channelId: string, criteria: CustomerSearchCriteria, page: { after?: string; limit: number }): Promise<ChannelCustomer[]> {
    return this.customers
      .where((c) => c.channelId === channelId && (page.after === undefined || c.id > page.after) && matchesSearch(c, criteria))
      .sort(by((c) => c.id))
      .slice(0, page.limit);
  }
}
