import { util } from '@aws-appsync/utils';

// Pipeline: validateInput -> queryMessages.
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 100;

function reject(field, rule, message) {
  util.error(`${field}: ${message}`, 'ValidationError', null, { field, rule });
}

function isGiven(value) {
  return value !== null && value !== undefined;
}

export function request(ctx) {
  const first = ctx.args.first ?? DEFAULT_PAGE_SIZE;
  if (first < 1 || first > MAX_PAGE_SIZE) {
    reject('first', 'range', `must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  const { to, senderId } = ctx.args.filter;
  if (isGiven(to) === isGiven(senderId)) {
    reject('filter', 'exactlyOne', 'give exactly one of to and senderId');
  }
  if (isGiven(to) && to.trim() === '') {
    reject('filter.to', 'required', 'must not be empty');
  }
  if (isGiven(senderId) && senderId.trim() === '') {
    reject('filter.senderId', 'notBlank', 'must not be blank');
  }
  ctx.stash.pageSize = first;
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
