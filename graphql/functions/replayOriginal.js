import { runtime, util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// When recordMessage found the idempotency key already claimed, this reads the message
// that claimed it. The same input gets that message back as it stands now, and nothing is
// sent; a different input under the same key is an error. Otherwise this step does nothing.
const COMPARED_FIELDS = ['to', 'body', 'deliveryMethod', 'subject', 'from', 'senderId', 'recipientId'];

export function request(ctx) {
  if (!ctx.stash.original) {
    return runtime.earlyReturn(ctx.prev.result);
  }
  return ddb.get({ key: ctx.stash.original, consistentRead: true });
}

export function response(ctx) {
  if (ctx.error) {
    console.error('replayOriginal', ctx.error.type, ctx.error.message);
    util.error('The message for this idempotency key could not be read', 'ReplayFailed');
  }
  const original = ctx.result;
  if (!original) {
    util.error('The message for this idempotency key no longer exists', 'ReplayFailed');
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
