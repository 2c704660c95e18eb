import { util } from '@aws-appsync/utils';

// Hands a webhook field (createWebhook, webhooks, deleteWebhook, rotateWebhookSecret, webhookAttempts,
// replayWebhookEvent) to the webhook endpoints' function (handlers/clients/webhook_endpoints.py) with the caller
// identifyCaller found: the function reads and writes that client's and mode's endpoints only. It answers with
// the field's result, or with the error for input it refused (nothing was changed).
export function request(ctx) {
  const { clientId, mode } = ctx.stash.caller;
  return {
    operation: 'Invoke',
    payload: { field: ctx.info.fieldName, arguments: ctx.args, caller: { clientId, mode } },
  };
}

export function response(ctx) {
  if (ctx.error) {
    // The error's text goes to the API's logs only: it may name the account or the function.
    console.error('webhookAction', ctx.info.fieldName, ctx.error.type, ctx.error.message);
    util.error(`${ctx.info.fieldName} failed, and may or may not have taken effect: check before trying again`, 'WebhookActionFailed');
  }
  const refused = ctx.result.error;
  if (refused) {
    util.error(refused.message, refused.type, null, refused.info);
  }
  return ctx.result.result;
}
