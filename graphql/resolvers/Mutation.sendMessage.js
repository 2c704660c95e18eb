// Pipeline: loadConfig -> normalizeRecipient -> validateMessage -> recordMessage -> replayOriginal
// -> deliverMessage -> recordOutcome.
export function request() {
  return {};
}

// The stored record, as it is: the schema's Message type decides what a caller sees.
export function response(ctx) {
  return ctx.prev.result;
}
