import { runtime } from '@aws-appsync/utils';

// Hands the recorded message to the delivery Lambda. Provider refusals come back as a
// FAILED outcome from the handler. A function that failed while running (a crash, a
// timeout) may have failed after the provider took the message, so that is UNKNOWN; an
// invocation the Lambda service refused (throttled, missing, not allowed) never ran, so
// nothing was sent: FAILED. A replayed message (same idempotency key, same input) was
// handled by its first request: nothing is sent. A paused channel sends nothing either. A TEST key's message
// goes to the function too, which hands nothing to SES or SNS.
const NOT_INVOKED = ['TooManyRequestsException', 'ResourceNotFoundException', 'ResourceNotReadyException', 'AccessDeniedException'];

export function request(ctx) {
  if (ctx.stash.replayed) {
    return runtime.earlyReturn(ctx.prev.result, { skipTo: 'END' });
  }
  const { PK, SK, id, to, from, subject, body, deliveryMethod } = ctx.prev.result;
  // A channel the guardrail (or an operator) paused: recorded FAILED; nothing reaches the provider. Callers get a
  // fixed reason: why it was paused (an alarm's name, an operator's words) is for operators (make channels).
  const pause = ctx.stash.channels[deliveryMethod];
  if (pause && pause.paused) {
    return runtime.earlyReturn({ deliveryStatus: 'FAILED', statusReason: `${deliveryMethod} sending is paused` });
  }
  return {
    operation: 'Invoke',
    // The record's key goes on the email as tags, so SES's events find it; a TEST key's message is not sent,
    // and its outcome is simulated.
    payload: { message: { id, to, from, subject, body, deliveryMethod, key: { PK, SK } }, mode: ctx.stash.caller.mode },
  };
}

export function response(ctx) {
  if (!ctx.error) {
    return ctx.result;
  }
  // The error's text goes to the API's logs only: it may name the account, roles or functions.
  console.error('deliverMessage', ctx.error.type, ctx.error.message);
  const type = ctx.error.type ?? '';
  if (NOT_INVOKED.some((name) => type.endsWith(name))) {
    return { deliveryStatus: 'FAILED', statusReason: 'The delivery function could not be invoked, so nothing was sent' };
  }
  return { deliveryStatus: 'UNKNOWN', statusReason: 'The delivery function failed, so the message may or may not have been sent' };
}
