import { util } from '@aws-appsync/utils';

// Pipeline: validateInput -> eraseRecipient. IAM only (the schema's @aws_iam): an operator's call.
export function request(ctx) {
  if (ctx.args.to.trim() === '') {
    util.error('to: must not be empty', 'ValidationError', null, { field: 'to', rule: 'required' });
  }
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
