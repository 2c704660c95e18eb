import { runtime, util } from '@aws-appsync/utils';

// At most so many messages per recipient and channel an hour: far above what a transactional
// sender needs, far below what a loop or an attacker would send. One conditional counter per
// recipient, channel and hour, so concurrent sends never pass it. Checked before anything is
// recorded; a refused send records and sends nothing. A replay (the key was claimed) is not counted.
// The counters sit in their channel's partition, sorted by hour, so the stale-pending sweep finds who was
// sent to in a stretch of time from them (first and last send of the hour), with no index to write.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const LIMIT_PREFIX = 'LIMIT#';
const RECIPIENT_HOUR_PREFIX = 'HOUR#';
const WINDOW_SECONDS = 3600;
// Counters outlive their window by a day, so the stale-pending sweep can still find a stretch's messages
// after an outage (handlers/status/sweep.py: RECIPIENT_COUNTER_KEPT; a test pins the two); then TTL deletes them.
const KEPT_SECONDS = 26 * 3600;
const LIMIT = { EMAIL: 'emailPerRecipientPerHour', SMS: 'smsPerRecipientPerHour' };

export function request(ctx) {
  const message = ctx.prev.result;
  if (ctx.stash.original) {
    return runtime.earlyReturn(message);
  }
  const limit = ctx.stash.config.limits?.[LIMIT[message.deliveryMethod]];
  if (limit === undefined || limit === null) {
    util.error('The delivery configuration has no sending limits', 'ConfigurationMissing');
  }
  const now = util.time.nowEpochSeconds();
  const windowStart = now - (now % WINDOW_SECONDS);
  ctx.stash.recipientLimit = { limit, retryAfterSeconds: windowStart + WINDOW_SECONDS - now };
  // Written by hand: ddb.operations.increment() is `SET n = n + 1`, which fails on a new counter; ADD starts it at 0.
  return {
    operation: 'UpdateItem',
    key: util.dynamodb.toMapValues({
      PK: `${LIMIT_PREFIX}${message.deliveryMethod}`,
      SK: `${RECIPIENT_HOUR_PREFIX}${windowStart}#${message.to}`,
    }),
    update: {
      expression: 'ADD #sends :one SET #expiresAt = :expiresAt, #firstSentAt = if_not_exists(#firstSentAt, :sentAt), #lastSentAt = :sentAt',
      expressionNames: { '#sends': 'sends', '#expiresAt': 'expiresAt', '#firstSentAt': 'firstSentAt', '#lastSentAt': 'lastSentAt' },
      // The record's own time, which the sweep compares with the times in the records' ULIDs.
      expressionValues: util.dynamodb.toMapValues({ ':one': 1, ':expiresAt': windowStart + KEPT_SECONDS, ':sentAt': message.createdAt }),
    },
    condition: {
      expression: 'attribute_not_exists(#sends) OR #sends < :limit',
      expressionNames: { '#sends': 'sends' },
      expressionValues: util.dynamodb.toMapValues({ ':limit': limit }),
    },
  };
}

export function response(ctx) {
  if (ctx.error && ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
    const { limit, retryAfterSeconds } = ctx.stash.recipientLimit;
    util.error(`This recipient was sent ${limit} of these messages this hour (UTC), the most allowed; try again later`, 'RateLimited', null, {
      limit: 'recipientPerHour',
      retryAfterSeconds,
    });
  }
  if (ctx.error) {
    console.error('limitRecipient', ctx.error.type, ctx.error.message);
    util.error('The sending limits could not be checked, so the message was not sent', 'LimitCheckFailed');
  }
  return ctx.prev.result;
}
