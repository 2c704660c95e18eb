import { runtime, util } from '@aws-appsync/utils';

// At most so many messages per recipient and channel an hour, whoever sends them: far above what a
// transactional sender needs, far below what a loop or an attacker would send. Counted on the recipient's
// mailbox (every variant of an address counts as one), one conditional counter per mailbox, channel, mode and
// hour, so concurrent sends never pass it. The first limit checked: a send it refuses has taken nothing.
// A refusal is kept in the stash; the later limits then count nothing, and recordMessage gives back what this
// send took and answers RateLimited. A replay (the key was claimed) is not counted.
// Counters are spread over SHARDS partitions by the mailbox (DynamoDB serves about 1,000 writes a second per
// partition); within one, sorted by hour, the stale-pending sweep finds who was sent to in a stretch of time
// (first and last send of the hour, and which clients sent), with no index to write.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const LIMIT_PREFIX = 'LIMIT#';
const RECIPIENT_HOUR_PREFIX = 'HOUR#';
const SHARDS = 16;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const WINDOW_SECONDS = 3600;
// Counters outlive their window by a day, so the stale-pending sweep can still find a stretch's messages
// after an outage (handlers/status/sweep.py: RECIPIENT_COUNTER_KEPT; a test pins the two); then TTL deletes them.
const KEPT_SECONDS = 26 * 3600;
const LIMIT = { EMAIL: 'emailPerRecipientPerHour', SMS: 'smsPerRecipientPerHour' };

// A stable spread of mailboxes over the shards: djb2 over the base64 form (charCodeAt is not available; the
// base64 alphabet is fixed), kept to 32 bits.
function shardOf(mailbox) {
  const hash = util
    .base64Encode(mailbox)
    .split('')
    .reduce((sum, symbol) => (((sum << 5) >>> 0) + sum + BASE64_ALPHABET.indexOf(symbol)) >>> 0, 5381);
  return hash % SHARDS;
}

export function request(ctx) {
  const message = ctx.prev.result;
  if (ctx.stash.original || ctx.stash.refusal) {
    return runtime.earlyReturn(message);
  }
  const limit = ctx.stash.config.limits?.[LIMIT[message.deliveryMethod]];
  if (limit === undefined || limit === null) {
    util.error('The delivery configuration has no sending limits', 'ConfigurationMissing');
  }
  const { clientId, mode } = ctx.stash.caller;
  const now = util.time.nowEpochSeconds();
  const windowStart = now - (now % WINDOW_SECONDS);
  const key = {
    PK: `${LIMIT_PREFIX}${mode}#${message.deliveryMethod}#${shardOf(ctx.stash.mailbox)}`,
    SK: `${RECIPIENT_HOUR_PREFIX}${windowStart}#${ctx.stash.mailbox}`,
  };
  ctx.stash.pendingLimit = {
    key,
    refusal: {
      message: `This recipient was sent ${limit} of these messages this hour (UTC), the most allowed; try again later`,
      errorInfo: { limit: 'recipientPerHour', retryAfterSeconds: windowStart + WINDOW_SECONDS - now },
    },
  };
  // Written by hand: ddb.operations.increment() is `SET n = n + 1`, which fails on a new counter; ADD starts it at 0.
  return {
    operation: 'UpdateItem',
    key: util.dynamodb.toMapValues(key),
    update: {
      expression:
        'ADD #sends :one, #clients :client SET #expiresAt = :expiresAt, #firstSentAt = if_not_exists(#firstSentAt, :sentAt), #lastSentAt = :sentAt',
      expressionNames: {
        '#sends': 'sends',
        '#clients': 'clients',
        '#expiresAt': 'expiresAt',
        '#firstSentAt': 'firstSentAt',
        '#lastSentAt': 'lastSentAt',
      },
      // The record's own time, which the sweep compares with the times in the records' ULIDs; the clients
      // that sent, whose scopes the sweep reads.
      expressionValues: {
        ...util.dynamodb.toMapValues({ ':one': 1, ':expiresAt': windowStart + KEPT_SECONDS, ':sentAt': message.createdAt }),
        ':client': util.dynamodb.toStringSet([clientId]),
      },
    },
    condition: {
      expression: 'attribute_not_exists(#sends) OR #sends < :limit',
      expressionNames: { '#sends': 'sends' },
      expressionValues: util.dynamodb.toMapValues({ ':limit': limit }),
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
    console.error('limitRecipient', ctx.error.type, ctx.error.message);
    ctx.stash.refusal = { failed: true, message: 'The sending limits could not be checked, so the message was not sent' };
    return ctx.prev.result;
  }
  ctx.stash.taken = [...(ctx.stash.taken ?? []), pending.key];
  return ctx.prev.result;
}
