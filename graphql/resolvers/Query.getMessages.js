import { util } from '@aws-appsync/utils';

// Pipeline: normalizeRecipient -> queryMessages.
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 100;

export function request(ctx) {
  const first = ctx.args.first ?? DEFAULT_PAGE_SIZE;
  if (first < 1 || first > MAX_PAGE_SIZE) {
    util.error(`first: must be between 1 and ${MAX_PAGE_SIZE}`, 'ValidationError', null, {
      field: 'first',
      rule: 'range',
    });
  }
  if (ctx.args.filter.to.trim() === '') {
    util.error('filter.to: must not be empty', 'ValidationError', null, { field: 'filter.to', rule: 'required' });
  }
  ctx.stash.pageSize = first;
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
