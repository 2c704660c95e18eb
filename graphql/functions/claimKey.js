import { runtime, util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// With an idempotency key, claims the key for this message before any limit is counted: of any number of
// concurrent requests with one key, exactly one claims it (a conditional write), records and sends its
// message; every other one replays (recordMessage reads the original) and counts against no limit. A claim
// lasts CLAIM_SECONDS; after that the key may name a new message. A send refused by a limit gives its claim
// back (recordMessage), so the key stays free for the retry.
// Keys are per client and mode (the caller's scope) and per senderId (base64, so no key or sender can forge
// another's claim with a '#').
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins this copy).
const IDEMPOTENCY_PREFIX = 'IDEMPOTENCY#';
const CLAIM_SECONDS = 24 * 60 * 60;

export function request(ctx) {
  const message = ctx.prev.result;
  if (message.idempotencyKey === undefined) {
    return runtime.earlyReturn(message);
  }
  const key = {
    PK: `${ctx.stash.caller.scope}${IDEMPOTENCY_PREFIX}${util.base64Encode(message.senderId ?? '')}#${message.idempotencyKey}`,
    SK: 'IDEMPOTENCY',
  };
  const now = util.time.nowEpochSeconds();
  ctx.stash.claim = { key, taken: false };
  return ddb.put({
    key,
    item: { messagePK: message.PK, messageSK: message.SK, claimedAt: now, expiresAt: now + CLAIM_SECONDS },
    condition: { or: [{ PK: { attributeExists: false } }, { expiresAt: { lt: now } }] },
  });
}

export function response(ctx) {
  const claimed = ctx.error && ctx.error.type === 'DynamoDB:ConditionalCheckFailedException' && ctx.result;
  if (claimed) {
    // Another request holds the key: this one replays its message, and has nothing to give back.
    ctx.stash.original = { key: { PK: ctx.result.messagePK, SK: ctx.result.messageSK }, claimedAt: ctx.result.claimedAt };
    ctx.stash.claim = null;
    return ctx.prev.result;
  }
  if (ctx.error) {
    console.error('claimKey', ctx.error.type, ctx.error.message);
    util.error('The idempotency key could not be checked, so the message was not sent', 'RecordFailed');
  }
  ctx.stash.claim.taken = true;
  return ctx.prev.result;
}
