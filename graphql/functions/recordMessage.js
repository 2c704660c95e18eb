import { runtime, util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Stores the PENDING record before anything is sent, so nothing is sent without one.
//
// With an idempotency key, a claim on the key (findClaim computed it) is written in the same
// transaction as the record: of any number of concurrent requests with one key, exactly one
// records (and so sends) its message. A later one finds the claim and replays the original
// (replayOriginal); one that overlaps the first's transaction is told to retry (DynamoDB cancels
// it with a TransactionConflict, which carries no claim to replay). A claim lasts CLAIM_SECONDS;
// after that the key may name a new message.
const CLAIM_SECONDS = 24 * 60 * 60;

export function request(ctx) {
  if (ctx.stash.original) {
    return runtime.earlyReturn(ctx.prev.result);
  }
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
          key: ctx.stash.claimKey,
          item: { messagePK: PK, messageSK: SK, expiresAt: now + CLAIM_SECONDS },
          condition: { or: [{ PK: { attributeExists: false } }, { expiresAt: { lt: now } }] },
        },
      },
      { putItem: { table, key: { PK, SK }, item, condition: recordIsNew } },
    ],
  });
}

export function response(ctx) {
  const claimReason = ctx.error ? ctx.result?.cancellationReasons?.[0] : null;
  if (claimReason?.item) {
    ctx.stash.original = { PK: claimReason.item.messagePK, SK: claimReason.item.messageSK };
    return ctx.stash.message;
  }
  if (claimReason?.type === 'TransactionConflict') {
    util.error(
      'input.idempotencyKey: a request with this key is being processed; retry shortly to get its message',
      'IdempotencyKeyInFlight',
      null,
      { field: 'input.idempotencyKey', rule: 'inFlight' },
    );
  }
  if (ctx.error) {
    console.error('recordMessage', ctx.error.type, ctx.error.message);
    util.error('The message could not be recorded, so it was not sent', 'RecordFailed');
  }
  return ctx.stash.message;
}
