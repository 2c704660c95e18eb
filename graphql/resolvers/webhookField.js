// Every webhook field (createWebhook, webhooks, deleteWebhook, rotateWebhookSecret, webhookAttempts,
// replayWebhookEvent): pipeline identifyCaller, webhookAction.
export function request() {
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
