import type { HqCustomer } from '../../core/domain/hq-customer';
import type { Versioned } from '../../core/ports/errors';
import type { HqCustomers } from '../../core/ports/hq-customers';
import { MemoryContainer } from './documents';

export class MemoryHqCustomers implements HqCustomers {
  constructor(readonly container = new MemoryContainer<HqCustomer>()) {}

  async read(customerId: string): Promise<Versioned<HqCustomer> | undefined> {
    return this.container.read(customerId);
  }

  async create(customer: HqCustomer): Promise<HqCustomer> {
    return this.container.create(customer, `HQ customer ${customer.id}`).doc;
  }

  async replace(customer: HqCustomer, etag: string): Promise<HqCustomer> {
    return this.container.replace(customer, etag, `HQ customer ${customer.id}`).doc;
  }
}
