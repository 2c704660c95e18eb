import { util } from '@aws-appsync/utils';

// Hands an operators' field (IAM callers only, by the schema) to the operators' function (handlers/clients),
// with the operator's ARN, which the audit log records. The function answers with the field's result, or with
// the error for input it refused (nothing was changed).
export function request(ctx) {
  return {
    operation: 'Invoke',
    payload: { field: ctx.info.fieldName, arguments: ctx.args, actor: ctx.identity.userArn },
  };
}

export function response(ctx) {
  if (ctx.error) {
    // The error's text goes to the API's logs only: it may name the account, roles or functions.
    console.error('operatorAction', ctx.info.fieldName, ctx.error.type, ctx.error.message);
    util.error(`${ctx.info.fieldName} failed, and may or may not have taken effect: check before trying again`, 'OperatorActionFailed');
  }
  const refused = ctx.result.error;
  if (refused) {
    util.error(refused.message, refused.type, null, refused.info);
  }
  return ctx.result.result;
}
