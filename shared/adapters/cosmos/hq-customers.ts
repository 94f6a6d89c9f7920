import type { Container } from '@azure/cosmos';
import type { HqCustomer } from '../../core/domain/hq-customer';
import type { Versioned } from '../../core/ports/errors';
import type { HqCustomers } from '../../core/ports/hq-customers';
import { create, readVersioned, replaceIfMatch } from './documents';

/** HQ's customers container, partitioned by id: every request is a point operation. */
export class CosmosHqCustomers implements HqCustomers {
  constructor(private readonly container: Container) {}

  read(customerId: string): Promise<Versioned<HqCustomer> | undefined> {
    return readVersioned<HqCustomer>(this.container, customerId, customerId);
  }

  create(customer: HqCustomer): Promise<HqCustomer> {
    return create(this.container, customer, `HQ customer ${customer.id}`);
  }

  async replace(customer: HqCustomer, etag: string): Promise<HqCustomer> {
    return (await replaceIfMatch(this.container, customer, customer.id, etag, `HQ customer ${customer.id}`)).doc;
  }
}
