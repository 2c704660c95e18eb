import { runtime } from '@aws-appsync/utils';

// Hands the recorded message to the delivery Lambda. Provider refusals come back as a
// FAILED outcome from the handler. A failed invocation (a crash, a timeout) may have
// happened after the provider took the message, so it is UNKNOWN, never FAILED; either
// way the next step has an outcome to record. A replayed message
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
      deliveryStatus: 'UNKNOWN',
      statusReason: `The delivery function failed, so the message may or may not have been sent: ${ctx.error.message}`,
    };
  }
  return ctx.result;
}
