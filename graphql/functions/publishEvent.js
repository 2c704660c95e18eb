// The NONE data source returns the event as given: AppSync publishes the mutation's result, as the mutation
// selected it, to the subscriptions (the publisher selects every field of MessageEvent, which the subscriptions'
// filters read: clientId, mode, senderId, messageId).
export function request(ctx) {
  return { payload: ctx.args.event };
}

export function response(ctx) {
  return ctx.result;
}
