/**
 * `npm run backfill-search-keys`: stores the customer search keys on channel customers written
 * before customer search existed, on the Cosmos account the app settings name (environment, else
 * `local.settings.json` `Values`; in Azure: `CosmosDb__endpoint` and `az login`). Every customer
 * written since carries them already; running it again finds nothing to do. Prints counts only.
 */
import path from 'node:path';
import { loadLocalSettings } from '@async-customer/local-host';
import { CosmosChannelCustomers } from '../shared/adapters/cosmos/channel-customers';
import { containers, createCosmosClient } from '../shared/adapters/cosmos/client';
import { readConfig } from '../shared/core/config/settings';

async function main(): Promise<void> {
  loadLocalSettings(path.resolve(__dirname, '..', '..'), process.env);
  const { cosmos } = readConfig();
  const client = createCosmosClient(cosmos);
  try {
    const updated = await new CosmosChannelCustomers(containers(client, cosmos).channelCustomers).backfillSearchKeys();
    console.log(`Search keys stored on ${updated} channel customer(s) that had none.`);
  } finally {
    client.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
