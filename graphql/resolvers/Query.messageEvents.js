import { util } from '@aws-appsync/utils';

// Pipeline: identifyCaller -> queryEvents.
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 100;

export function request(ctx) {
  const first = ctx.args.first ?? DEFAULT_PAGE_SIZE;
  if (first < 1 || first > MAX_PAGE_SIZE) {
    util.error(`first: must be between 1 and ${MAX_PAGE_SIZE}`, 'ValidationError', null, { field: 'first', rule: 'range' });
  }
  ctx.stash.pageSize = first;
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
