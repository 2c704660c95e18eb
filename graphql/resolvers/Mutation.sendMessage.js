// Pipeline: loadConfig -> normalizeRecipient -> validateMessage -> recordMessage -> deliverMessage -> recordOutcome.
export function request() {
  return {};
}

export function response(ctx) {
  const { PK, SK, ...message } = ctx.prev.result;
  return message;
}
