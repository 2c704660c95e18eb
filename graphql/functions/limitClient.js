import { runtime, util } from '@aws-appsync/utils';

// The calling client's quota: at most its emailPerDay / smsPerDay messages per UTC day, one conditional counter
// per client, day, mode and channel, so concurrent sends never pass it. A TEST key's sends count apart from
// the LIVE ones, against the same numbers. Checked after the recipient's limit, before the channel's; a
// refusal is kept in the stash, and recordMessage gives back what the send took. A replay is not counted.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const LIMIT_PREFIX = 'LIMIT#';
const CLIENT_PREFIX = 'CLIENT#';
const CLIENT_DAY_PREFIX = 'DAY#';
const DAY_SECONDS = 24 * 3600;
// Kept a day past its own, then DynamoDB's TTL deletes it.
const KEPT_SECONDS = 2 * DAY_SECONDS;
const LIMIT = { EMAIL: 'emailPerDay', SMS: 'smsPerDay' };

export function request(ctx) {
  const message = ctx.prev.result;
  if (ctx.stash.original || ctx.stash.refusal) {
    return runtime.earlyReturn(message);
  }
  const limit = ctx.stash.client.limits?.[LIMIT[message.deliveryMethod]];
  if (limit === undefined || limit === null) {
    util.error('The client has no daily limits', 'ConfigurationMissing');
  }
  const { clientId, mode } = ctx.stash.caller;
  const now = util.time.nowEpochSeconds();
  const dayStart = now - (now % DAY_SECONDS);
  const key = { PK: `${LIMIT_PREFIX}${CLIENT_PREFIX}${clientId}`, SK: `${CLIENT_DAY_PREFIX}${dayStart}#${mode}#${message.deliveryMethod}` };
  ctx.stash.pendingLimit = {
    key,
    refusal: {
      message: `This client sent ${limit} of these messages today (UTC), its daily limit; try again after midnight UTC`,
      errorInfo: { limit: 'clientPerDay', retryAfterSeconds: dayStart + DAY_SECONDS - now },
    },
  };
  return {
    operation: 'UpdateItem',
    key: util.dynamodb.toMapValues(key),
    update: {
      expression: 'ADD #sends :one SET #expiresAt = :expiresAt',
      expressionNames: { '#sends': 'sends', '#expiresAt': 'expiresAt' },
      expressionValues: util.dynamodb.toMapValues({ ':one': 1, ':expiresAt': dayStart + KEPT_SECONDS }),
    },
    condition: {
      expression: '(attribute_not_exists(#sends) AND :limit > :zero) OR #sends < :limit',
      expressionNames: { '#sends': 'sends' },
      expressionValues: util.dynamodb.toMapValues({ ':limit': limit, ':zero': 0 }),
    },
  };
}

export function response(ctx) {
  const pending = ctx.stash.pendingLimit;
  ctx.stash.pendingLimit = null;
  if (ctx.error && ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
    ctx.stash.refusal = pending.refusal;
    return ctx.prev.result;
  }
  if (ctx.error) {
    console.error('limitClient', ctx.error.type, ctx.error.message);
    ctx.stash.refusal = { failed: true, message: 'The sending limits could not be checked, so the message was not sent' };
    return ctx.prev.result;
  }
  ctx.stash.taken = [...(ctx.stash.taken ?? []), pending.key];
  return ctx.prev.result;
}
