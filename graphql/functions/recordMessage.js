import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// The step that settles a send, one of three ways:
// - a send a limit refused records nothing and gives back what it took (its counters, its idempotency claim),
//   in one transaction, then answers RateLimited: a refused send uses up no limit, and its key stays free;
// - a replay (claimKey found the key claimed) reads the message that claimed it: the same input gets that
//   message back as it stands now, and nothing is sent; a different input under the same key is an error;
// - otherwise it stores the PENDING record before anything is sent, so nothing is sent without one.
// Logs name keys' kinds and errors, never the keys (they hold addresses).
// The message's fields a replay must match.
const COMPARED_FIELDS = ['to', 'body', 'deliveryMethod', 'subject', 'from', 'senderId', 'recipientId'];
// AppSync stops a request after 30 s: a claim older than that whose message was never recorded belongs to a
// request that failed before recording it.
const REQUEST_SECONDS = 30;

function giveBack(ctx) {
  const table = ctx.stash.config.messagesTable;
  const counters = (ctx.stash.taken ?? []).map((key) => ({
    updateItem: {
      table,
      key,
      update: { sends: ddb.operations.decrement(1) },
      condition: { sends: { attributeExists: true } },
    },
  }));
  const claim = ctx.stash.claim && ctx.stash.claim.taken ? [{ removeItem: { table, key: ctx.stash.claim.key } }] : [];
  return [...counters, ...claim];
}

export function request(ctx) {
  if (ctx.stash.refusal) {
    const items = giveBack(ctx);
    if (items.length === 0) {
      refuse(ctx);
    }
    return ddb.transactWrite({ items });
  }
  if (ctx.stash.original) {
    return ddb.get({ key: ctx.stash.original.key, consistentRead: true });
  }
  const { PK, SK, ...item } = ctx.prev.result;
  return ddb.put({ key: { PK, SK }, item, condition: { PK: { attributeExists: false } } });
}

function refuse(ctx) {
  if (ctx.error) {
    // The counts stay taken: the limits err on the side of refusing, never of sending more.
    console.error('recordMessage: the refused send could not give back its counts', ctx.error.type, ctx.error.message);
  }
  const refusal = ctx.stash.refusal;
  if (refusal.failed) {
    util.error(refusal.message, 'LimitCheckFailed');
  }
  util.error(refusal.message, 'RateLimited', null, refusal.errorInfo);
}

function replay(ctx) {
  if (ctx.error) {
    console.error('recordMessage: replay', ctx.error.type, ctx.error.message);
    util.error('The message for this idempotency key could not be read', 'ReplayFailed');
  }
  const original = ctx.result;
  if (!original) {
    if (util.time.nowEpochSeconds() - ctx.stash.original.claimedAt <= REQUEST_SECONDS) {
      util.error(
        'input.idempotencyKey: a request with this key is being processed; retry shortly to get its message',
        'IdempotencyKeyInFlight',
        null,
        { field: 'input.idempotencyKey', rule: 'inFlight' },
      );
    }
    util.error('The request that claimed this idempotency key failed before recording its message; send it with a new key', 'ReplayFailed');
  }
  const attempted = ctx.stash.message;
  const differing = COMPARED_FIELDS.filter((name) => (original[name] ?? null) !== (attempted[name] ?? null));
  if (differing.length > 0) {
    util.error(
      `input.idempotencyKey: was already used for a different message (${differing.join(', ')} differ)`,
      'ValidationError',
      null,
      { field: 'input.idempotencyKey', rule: 'sameInput' },
    );
  }
  ctx.stash.replayed = true;
  return original;
}

export function response(ctx) {
  if (ctx.stash.refusal) {
    return refuse(ctx);
  }
  if (ctx.stash.original) {
    return replay(ctx);
  }
  if (ctx.error) {
    console.error('recordMessage', ctx.error.type, ctx.error.message);
    util.error('The message could not be recorded, so it was not sent', 'RecordFailed');
  }
  return ctx.stash.message;
}
