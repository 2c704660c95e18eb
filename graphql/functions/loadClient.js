import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// The calling client's record: its daily limits, read fresh on every send (an operator's change applies at
// once). A client that does not exist sends nothing: a key outlives no client, but an IAM mapping may name one
// that was never created.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const CLIENTS_PK = 'CLIENTS';
const CLIENT_PREFIX = 'CLIENT#';

export function request(ctx) {
  return ddb.get({ key: { PK: CLIENTS_PK, SK: `${CLIENT_PREFIX}${ctx.stash.caller.clientId}` } });
}

export function response(ctx) {
  if (ctx.error) {
    console.error('loadClient', ctx.error.type, ctx.error.message);
    util.error('The client could not be read, so the message was not sent', 'ConfigurationUnavailable');
  }
  if (!ctx.result) {
    util.error('This caller\'s client does not exist, so the message was not sent', 'ClientNotFound');
  }
  ctx.stash.client = ctx.result;
  return ctx.prev.result;
}
