import { util } from '@aws-appsync/utils';

// Messages are keyed by the canonical address, so a history is found however the
// address was typed: email addresses are case-insensitive, and phone numbers ignore
// the spaces, dashes, dots and parentheses people format them with.
const PHONE_FORMATTING = [' ', '-', '.', '(', ')'];

export function request(ctx) {
  const typed = (ctx.args.input?.to ?? ctx.args.filter?.to ?? ctx.args.to ?? '').trim();
  if (typed.indexOf('@') >= 0) {
    return { payload: typed.toLowerCase() };
  }
  // Trimmed again: formatting may have hidden other white space, e.g. "( +44 ...)".
  const digits = PHONE_FORMATTING.reduce((text, mark) => text.split(mark).join(''), typed);
  return { payload: digits.trim() };
}

export function response(ctx) {
  // The NONE data source hands the payload back; it has no error of its own to pass on.
  ctx.stash.recipient = ctx.result;
  ctx.stash.mailbox = ctx.result;
  return ctx.result;
}
