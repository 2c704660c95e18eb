import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// The CONFIG partition, in one Query: the delivery settings Terraform writes (CONFIG/DELIVERY: senders,
// limits, retention; the AWS provider cannot set AppSync environment variables, and a sender list may outgrow
// their 512-character values) and the channels' state the guardrail writes (CONFIG/CHANNELS: which channel
// is paused, and why).
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const CONFIG_PK = 'CONFIG';
const CONFIG_SK = 'DELIVERY';
const CHANNELS_SK = 'CHANNELS';

export function request() {
  // Eventually consistent (half the read cost): a pause reaches every request within about a second.
  return ddb.query({ query: { PK: { eq: CONFIG_PK } } });
}

export function response(ctx) {
  if (ctx.error) {
    console.error('loadConfig', ctx.error.type, ctx.error.message);
    util.error('The delivery configuration could not be read', 'ConfigurationUnavailable');
  }
  const items = ctx.result.items;
  const config = items.find((item) => item.SK === CONFIG_SK);
  if (!config) {
    util.error('The delivery configuration item (CONFIG/DELIVERY) is missing', 'ConfigurationMissing');
  }
  ctx.stash.config = config;
  ctx.stash.channels = items.find((item) => item.SK === CHANNELS_SK) ?? {};
  return ctx.prev.result;
}
