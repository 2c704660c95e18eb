// Pipeline: authorizePublisher, publishEvent (the NONE data source). The stack's event publisher alone calls it,
// for each status change (authorizePublisher refuses every other caller, the schema's @aws_iam admitting any IAM
// principal), and AppSync pushes its result to the onMessageStatus subscriptions whose filter it passes. A refused
// call resolves to null with its error, so nothing is pushed. Nothing is stored here: the event was recorded
// before it was published.
export function request() {
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
