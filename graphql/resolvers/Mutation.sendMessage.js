// Pipeline: loadConfig -> validateInput -> findClaim -> limitChannel -> limitRecipient -> recordMessage ->
// replayOriginal -> deliverMessage -> recordOutcome (AppSync's limit is 10 functions).
export function request() {
  return {};
}

// The stored record, as it is: the schema's Message type decides what a caller sees.
export function response(ctx) {
  return ctx.prev.result;
}
