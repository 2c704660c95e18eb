import { runtime, util } from '@aws-appsync/utils';

// The stack-wide ceiling per channel and minute, a spend guard: one conditional counter per
// channel and minute, so concurrent sends never pass it. Checked before anything is recorded; a
// refused send records and sends nothing. A replay (the key was claimed) is not counted.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins this copy).
const LIMIT_PREFIX = 'LIMIT#';
const WINDOW_SECONDS = 60;
// Counters outlive their window a little, then DynamoDB's TTL deletes them.
const KEPT_SECONDS = 3600;
const CEILING = { EMAIL: 'emailPerMinute', SMS: 'smsPerMinute' };

export function request(ctx) {
  const message = ctx.prev.result;
  if (ctx.stash.original) {
    return runtime.earlyReturn(message);
  }
  const ceiling = ctx.stash.config.limits?.[CEILING[message.deliveryMethod]];
  if (ceiling === undefined || ceiling === null) {
    util.error('The delivery configuration has no sending limits', 'ConfigurationMissing');
  }
  const now = util.time.nowEpochSeconds();
  const windowStart = now - (now % WINDOW_SECONDS);
  ctx.stash.channelLimit = { ceiling, retryAfterSeconds: windowStart + WINDOW_SECONDS - now };
  // Written by hand: ddb.operations.increment() is `SET n = n + 1`, which fails on a new counter; ADD starts it at 0.
  return {
    operation: 'UpdateItem',
    key: util.dynamodb.toMapValues({ PK: `${LIMIT_PREFIX}${message.deliveryMethod}`, SK: `MINUTE#${windowStart}` }),
    update: {
      expression: 'ADD #sends :one SET #expiresAt = :expiresAt',
      expressionNames: { '#sends': 'sends', '#expiresAt': 'expiresAt' },
      expressionValues: util.dynamodb.toMapValues({ ':one': 1, ':expiresAt': windowStart + KEPT_SECONDS }),
    },
    condition: {
      expression: 'attribute_not_exists(#sends) OR #sends < :ceiling',
      expressionNames: { '#sends': 'sends' },
      expressionValues: util.dynamodb.toMapValues({ ':ceiling': ceiling }),
    },
  };
}

export function response(ctx) {
  if (ctx.error && ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
    const { ceiling, retryAfterSeconds } = ctx.stash.channelLimit;
    util.error(`This service sends at most ${ceiling} of these messages a minute; try again later`, 'RateLimited', null, {
      limit: 'channelPerMinute',
      retryAfterSeconds,
    });
  }
  if (ctx.error) {
    console.error('limitChannel', ctx.error.type, ctx.error.message);
    util.error('The sending limits could not be checked, so the message was not sent', 'LimitCheckFailed');
  }
  return ctx.prev.result;
}
