import { util, extensions } from '@aws-appsync/utils';

// Pipeline: identifyCaller -> markSubscribers. Runs once, when a subscriber starts the subscription; AppSync
// then evaluates the filter set here against each publishMessageEvent result (AppSync developer guide,
// "Defining enhanced subscriptions filters"). The filter always holds the caller's client and mode, whatever the
// subscriber asks: an enhanced filter replaces the arguments' own matching, so senderId and messageId filter
// only because they are added here.

function reject(field, rule, message) {
  util.error(`${field}: ${message}`, 'ValidationError', null, { field, rule });
}

function isGiven(value) {
  return value !== null && value !== undefined;
}

export function request(ctx) {
  const { senderId, messageId } = ctx.args;
  if (isGiven(senderId) && senderId.trim() === '') {
    reject('senderId', 'notBlank', 'must not be blank');
  }
  if (isGiven(messageId) && messageId.trim() === '') {
    reject('messageId', 'notBlank', 'must not be blank');
  }
  return {};
}

export function response(ctx) {
  const { clientId, mode } = ctx.stash.caller;
  const filter = { clientId: { eq: clientId }, mode: { eq: mode } };
  if (isGiven(ctx.args.senderId)) {
    filter.senderId = { eq: ctx.args.senderId };
  }
  if (isGiven(ctx.args.messageId)) {
    filter.messageId = { eq: ctx.args.messageId };
  }
  extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter(filter));
  // A client key's subscriptions end when the key is revoked: revokeClientKey invalidates those whose filter
  // matches its keyId (AppSync developer guide, "Unsubscribing WebSocket connections using filters"). The API
  // key and IAM callers carry no key id.
  const keyId = ctx.identity && ctx.identity.resolverContext ? ctx.identity.resolverContext.keyId : null;
  if (keyId) {
    extensions.setSubscriptionInvalidationFilter(util.transform.toSubscriptionFilter({ keyId: { eq: keyId } }));
  }
  // A subscription resolver returns null: the subscriber's data comes from each published event.
  return null;
}
