import { runtime, util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// With an idempotency key, looks for the key's claim before anything else happens, so that a
// retry of a message already recorded is answered with that message (replayOriginal) and is not
// counted against the sending limits. recordMessage writes the claim under the key computed here.
// Keys are scoped by senderId (base64, so no key or sender can forge another's claim with a '#').
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins this copy).
const IDEMPOTENCY_PREFIX = 'IDEMPOTENCY#';

export function request(ctx) {
  const message = ctx.prev.result;
  if (message.idempotencyKey === undefined) {
    return runtime.earlyReturn(message);
  }
  const key = { PK: `${IDEMPOTENCY_PREFIX}${util.base64Encode(message.senderId ?? '')}#${message.idempotencyKey}`, SK: 'IDEMPOTENCY' };
  ctx.stash.claimKey = key;
  return ddb.get({ key, consistentRead: true });
}

export function response(ctx) {
  if (ctx.error) {
    console.error('findClaim', ctx.error.type, ctx.error.message);
    util.error('The idempotency key could not be checked, so the message was not sent', 'RecordFailed');
  }
  const claim = ctx.result;
  // An expired claim no longer names a message (DynamoDB's TTL deletes it some time later).
  if (claim && claim.expiresAt >= util.time.nowEpochSeconds()) {
    ctx.stash.original = { PK: claim.messagePK, SK: claim.messageSK };
  }
  return ctx.prev.result;
}
