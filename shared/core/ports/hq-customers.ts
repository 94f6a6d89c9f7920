import type { HqCustomer } from '../domain/hq-customer';
import type { Versioned } from './errors';

/** HQ's customer master (hq database), one record per channel customer. */
export interface HqCustomers {
  read(customerId: string): Promise<Versioned<HqCustomer> | undefined>;
  /** Throws AlreadyExistsError when the customer is there already (a repeated or concurrent create). */
  create(customer: HqCustomer): Promise<HqCustomer>;
  /** Throws StaleVersionError when the customer changed since `etag`. */
  replace(customer: HqCustomer, etag: string): Promise<HqCustomer>;
}
