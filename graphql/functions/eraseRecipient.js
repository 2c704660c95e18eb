import { util } from '@aws-appsync/utils';

// Hands the canonical recipient to the erasure function, which pages through everything stored about
// them (a recipient may have thousands of messages) and deletes it.
export function request(ctx) {
  return { operation: 'Invoke', payload: { recipient: ctx.stash.recipient } };
}

export function response(ctx) {
  if (ctx.error) {
    // The error's text goes to the API's logs only. A call that ran out of time erased part: call again.
    console.error('eraseRecipient', ctx.error.type, ctx.error.message);
    util.error('The recipient could not be erased completely; call eraseRecipient again', 'ErasureFailed');
  }
  return { to: ctx.stash.recipient, messagesErased: ctx.result.messagesErased };
}
