// Pipeline: publishEvent (the NONE data source). IAM only (the schema's @aws_iam): the stack's event publisher
// calls it for each status change, and AppSync pushes its result to the onMessageStatus subscriptions whose
// filter it passes. Nothing is stored here: the event was recorded before it was published.
export function request() {
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
