import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Marks that the caller's client and mode have a subscriber: the event publisher calls publishMessageEvent (a
// paid AppSync operation) only for a client and mode whose marker has not expired. One unconditional UpdateItem
// per subscription started (1 WCU), which moves the marker's expiry forward.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins this copy).
const SUBSCRIBERS_PREFIX = 'SUBSCRIBERS#';
// AppSync closes a real-time connection after 24 hours (its "Connection duration" quota), and a client that
// wants to go on listening reconnects and subscribes again, which writes the marker again. So a subscription
// started now listens for 24 hours at most, and a marker kept one hour longer (clocks, a late reconnection)
// never expires while someone listens. DynamoDB deletes an expired item only within days: the publisher
// compares `expiresAt` with its clock rather than trusting the item's presence.
const MARKER_SECONDS = 25 * 60 * 60;

export function request(ctx) {
  const { clientId, mode } = ctx.stash.caller;
  const key = `${SUBSCRIBERS_PREFIX}${clientId}#${mode}`;
  return ddb.update({ key: { PK: key, SK: key }, update: { expiresAt: util.time.nowEpochSeconds() + MARKER_SECONDS } });
}

export function response(ctx) {
  if (ctx.error) {
    // Without the marker the publisher would skip this client's events: refuse the subscription instead.
    console.error('markSubscribers', ctx.error.type, ctx.error.message);
    util.error('The subscription could not be registered: try again', 'SubscriptionUnavailable');
  }
  return ctx.prev.result;
}
