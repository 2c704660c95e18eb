import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Stores the PENDING record before anything is sent, so nothing is sent without one.
//
// With an idempotency key, a claim on the key is written in the same transaction as the
// record: of any number of concurrent requests with one key, exactly one records (and so
// sends) its message; the others find the claim and replay the original (replayOriginal).
// A claim lasts CLAIM_SECONDS; after that the key may name a new message.
const CLAIM_SECONDS = 24 * 60 * 60;

export function request(ctx) {
  const { PK, SK, ...item } = ctx.prev.result;
  const recordIsNew = { PK: { attributeExists: false } };
  if (item.idempotencyKey === undefined) {
    return ddb.put({ key: { PK, SK }, item, condition: recordIsNew });
  }
  const table = ctx.stash.config.messagesTable;
  const now = util.time.nowEpochSeconds();
  return ddb.transactWrite({
    items: [
      {
        putItem: {
          table,
          key: { PK: `IDEMPOTENCY#${item.idempotencyKey}`, SK: 'IDEMPOTENCY' },
          item: { messagePK: PK, messageSK: SK, expiresAt: now + CLAIM_SECONDS },
          condition: { or: [{ PK: { attributeExists: false } }, { expiresAt: { lt: now } }] },
        },
      },
      { putItem: { table, key: { PK, SK }, item, condition: recordIsNew } },
    ],
  });
}

export function response(ctx) {
  const claim = ctx.error ? ctx.result?.cancellationReasons?.[0]?.item : null;
  if (claim) {
    ctx.stash.original = { PK: claim.messagePK, SK: claim.messageSK };
    return ctx.stash.message;
  }
  if (ctx.error) {
    util.error('The message could not be recorded, so it was not sent', 'RecordFailed', null, {
      cause: ctx.error.type,
    });
  }
  return ctx.stash.message;
}
