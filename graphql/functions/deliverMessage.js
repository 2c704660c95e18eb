import { runtime } from '@aws-appsync/utils';

// Hands the recorded message to the delivery Lambda. Provider errors come back as
// a FAILED outcome from the handler; a failed invocation (crash, timeout) becomes
// FAILED here, so the next step always has an outcome to record. A replayed message
// (same idempotency key, same input) was handled by its first request: nothing is sent.
export function request(ctx) {
  if (ctx.stash.replayed) {
    return runtime.earlyReturn(ctx.prev.result, { skipTo: 'END' });
  }
  const { id, to, from, subject, body, deliveryMethod } = ctx.prev.result;
  return {
    operation: 'Invoke',
    payload: { message: { id, to, from, subject, body, deliveryMethod } },
  };
}

export function response(ctx) {
  if (ctx.error) {
    return {
      deliveryStatus: 'FAILED',
      statusReason: `The delivery function failed: ${ctx.error.message}`,
    };
  }
  return ctx.result;
}
