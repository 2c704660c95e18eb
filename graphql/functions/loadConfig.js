import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Per-environment delivery settings (default sender, allowed senders) live in one
// item that Terraform writes: the AWS provider cannot set AppSync environment
// variables, and a sender list may outgrow their 512-character values.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const CONFIG_PK = 'CONFIG';
const CONFIG_SK = 'DELIVERY';

export function request() {
  return ddb.get({ key: { PK: CONFIG_PK, SK: CONFIG_SK } });
}

export function response(ctx) {
  if (ctx.error) {
    console.error('loadConfig', ctx.error.type, ctx.error.message);
    util.error('The delivery configuration could not be read', 'ConfigurationUnavailable');
  }
  if (!ctx.result) {
    util.error('The delivery configuration item (CONFIG/DELIVERY) is missing', 'ConfigurationMissing');
  }
  ctx.stash.config = ctx.result;
  return ctx.prev.result;
}
