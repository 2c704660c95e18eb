import { util } from '@aws-appsync/utils';

// Hands the recipient's mailbox (every variant of the address), the address as typed and the operator's ARN to
// the erasure function, which pages through everything stored about them, for every client (a recipient may
// have thousands of messages), deletes it, and writes the audit record.
export function request(ctx) {
  return {
    operation: 'Invoke',
    payload: { recipient: ctx.stash.mailbox, address: ctx.stash.recipient, actor: ctx.identity.userArn },
  };
}

export function response(ctx) {
  if (ctx.error) {
    // The error's text goes to the API's logs only. A call that ran out of time erased part: call again.
    console.error('eraseRecipient', ctx.error.type, ctx.error.message);
    util.error('The recipient could not be erased completely; call eraseRecipient again', 'ErasureFailed');
  }
  return { to: ctx.stash.mailbox, messagesErased: ctx.result.messagesErased };
}
