import type { ChannelCustomer } from '../domain/channel-customer';
import type { CustomerSearchCriteria } from '../domain/customer-search';

/**
 * Finds a channel's customers by their search keys (domain/customer-search.ts), pending sync or
 * not, the moment they are written: the storefront's customer search.
 */
export interface CustomerSearch {
  /**
   * The channel's customers that match every criterion, in ascending id order, with ids above
   * `after` when given, at most `limit`. Never a customer of another channel.
   */
  search(channelId: string, criteria: CustomerSearchCriteria, page: { after?: string; limit: number }): Promise<ChannelCustomer[]>;
}
