// Pipeline: loadConfig -> normalizeRecipient -> validateMessage -> recordMessage -> replayOriginal
// -> deliverMessage -> recordOutcome.
export function request() {
  return {};
}

export function response(ctx) {
  const { PK, SK, senderKey, pendingShard, ...message } = ctx.prev.result;
  return message;
}
