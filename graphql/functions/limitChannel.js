import { runtime, util } from '@aws-appsync/utils';

// The stack-wide ceiling per channel and minute, a spend guard, checked last: a send refused by any other
// limit never counts against it, so no caller can use it up with refused sends. One conditional counter per
// channel, mode and minute, so concurrent sends never pass it. A TEST key's sends count apart.
// A ceiling above SHARD_CAPACITY a minute is split over shards (one counter item takes about 1,000 writes a
// second), each holding floor(ceiling / shards), and a send counts on one shard at random: never more than the
// ceiling goes through, and a send may be refused a little early when its shard is full before the others
// (docs/api.md: sending limits). A refusal is kept in the stash; recordMessage gives back what the send took.
// A ceiling of 0 means none, and costs no write.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const LIMIT_PREFIX = 'LIMIT#';
const CHANNEL_MINUTE_PREFIX = 'MINUTE#';
const SHARD_CAPACITY = 30000;
const CROCKFORD_BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
// A fresh ULID ends in 80 random bits. Its last four characters (20 bits) spread sends evenly over any number of
// shards; one character (32 values) would favour some shards whenever their number does not divide 32, and never
// reach a shard past the 32nd (bench/partitions.py models both).
const DRAW_CHARACTERS = 4;
const WINDOW_SECONDS = 60;
// Counters outlive their window a little, then DynamoDB's TTL deletes them.
const KEPT_SECONDS = 3600;
const CEILING = { EMAIL: 'emailPerMinute', SMS: 'smsPerMinute' };

export function request(ctx) {
  const message = ctx.prev.result;
  if (ctx.stash.original || ctx.stash.refusal) {
    return runtime.earlyReturn(message);
  }
  const ceiling = ctx.stash.config.limits?.[CEILING[message.deliveryMethod]];
  if (ceiling === undefined || ceiling === null) {
    util.error('The delivery configuration has no sending limits', 'ConfigurationMissing');
  }
  // A ceiling of 0 is none: no counter is written (email's default, whose rate SES's account quota caps already,
  // and whose spend each client's daily quota bounds).
  if (ceiling === 0) {
    return runtime.earlyReturn(message);
  }
  const shards = Math.max(1, Math.ceil(ceiling / SHARD_CAPACITY));
  const drawn = util
    .autoUlid()
    .slice(-DRAW_CHARACTERS)
    .split('')
    .reduce((value, symbol) => value * 32 + CROCKFORD_BASE32.indexOf(symbol), 0);
  const shard = drawn % shards;
  const now = util.time.nowEpochSeconds();
  const windowStart = now - (now % WINDOW_SECONDS);
  const key = {
    PK: `${LIMIT_PREFIX}${ctx.stash.caller.mode}#${message.deliveryMethod}#${CHANNEL_MINUTE_PREFIX}${shard}`,
    SK: `${CHANNEL_MINUTE_PREFIX}${windowStart}`,
  };
  ctx.stash.pendingLimit = {
    key,
    refusal: {
      message: `This service sends at most ${ceiling} of these messages a minute; try again later`,
      errorInfo: { limit: 'channelPerMinute', retryAfterSeconds: windowStart + WINDOW_SECONDS - now },
    },
  };
  // Written by hand: ddb.operations.increment() is `SET n = n + 1`, which fails on a new counter; ADD starts it at 0.
  return {
    operation: 'UpdateItem',
    key: util.dynamodb.toMapValues(key),
    update: {
      expression: 'ADD #sends :one SET #expiresAt = :expiresAt',
      expressionNames: { '#sends': 'sends', '#expiresAt': 'expiresAt' },
      expressionValues: util.dynamodb.toMapValues({ ':one': 1, ':expiresAt': windowStart + KEPT_SECONDS }),
    },
    condition: {
      expression: '(attribute_not_exists(#sends) AND :ceiling > :zero) OR #sends < :ceiling',
      expressionNames: { '#sends': 'sends' },
      expressionValues: util.dynamodb.toMapValues({ ':ceiling': Math.floor(ceiling / shards), ':zero': 0 }),
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
    console.error('limitChannel', ctx.error.type, ctx.error.message);
    ctx.stash.refusal = { failed: true, message: 'The sending limits could not be checked, so the message was not sent' };
    return ctx.prev.result;
  }
  ctx.stash.taken = [...(ctx.stash.taken ?? []), pending.key];
  return ctx.prev.result;
}
