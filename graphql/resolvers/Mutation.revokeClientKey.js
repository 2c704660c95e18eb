import { extensions } from '@aws-appsync/utils';

// Pipeline: operatorAction (the operators' function revokes the key; it refuses, and nothing changes, for an
// unknown or already revoked key). Once the key is revoked, the subscriptions it started are ended and their
// connections closed: AppSync evaluates each onMessageStatus subscription's invalidation filter (its key id)
// against this payload (AppSync developer guide, "Extensions": extensions.invalidateSubscriptions).
export function request() {
  return {};
}

export function response(ctx) {
  extensions.invalidateSubscriptions({ subscriptionField: 'onMessageStatus', payload: { keyId: ctx.args.keyId } });
  return ctx.prev.result;
}
