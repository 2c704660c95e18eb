import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Reads one page of a recipient's messages (the table) or a sender's (the sparse
// bySender index); both are sorted by the message's ULID.
//
// A cursor is the ULID of the last message shown plus a checksum over it and the
// partition it came from. The query itself is always scoped to the filter's
// partition, so a cursor can never reach another recipient's or sender's
// messages; the checksum turns a tampered or foreign cursor into a clear error
// instead of an arbitrary position.
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const CHECKSUM = '[0-9a-f]{8}';
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const HEX_DIGITS = '0123456789abcdef';
const NIBBLE_SHIFTS = [28, 24, 20, 16, 12, 8, 4, 0];
const FNV_OFFSET_BASIS = 2166136261;
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const MESSAGE_PREFIX = 'MESSAGE#';
const SENDER_PREFIX = 'SENDER#';
const SENDER_INDEX = 'bySender';

// 32-bit FNV-1a over the base64 form (a fixed alphabet, since charCodeAt is not
// available); the FNV prime 2^24 + 403 is split so every product stays exact. The text is
// split into an array first: APPSYNC_JS documents for-of over arrays, not over strings.
function checksum(partition, ulid) {
  let hash = FNV_OFFSET_BASIS;
  for (const symbol of util.base64Encode(`${partition}|${ulid}`).split('')) {
    hash = (hash ^ BASE64_ALPHABET.indexOf(symbol)) >>> 0;
    hash = (hash * 403 + ((hash << 24) >>> 0)) >>> 0;
  }
  return NIBBLE_SHIFTS.map((shift) => HEX_DIGITS[(hash >>> shift) & 15]).join('');
}

function cursorAfter(partition, sortKey) {
  const ulid = sortKey.slice(MESSAGE_PREFIX.length);
  return `${ulid}${checksum(partition, ulid)}`;
}

function startAfter(cursor, partition) {
  if (cursor === null || cursor === undefined) {
    return MESSAGE_PREFIX;
  }
  const ulid = cursor.slice(0, 26);
  if (!util.matches(ULID + CHECKSUM, cursor) || checksum(partition, ulid) !== cursor.slice(26)) {
    util.error('after: is not a cursor returned for this filter', 'ValidationError', null, {
      field: 'after',
      rule: 'cursor',
    });
  }
  return `${MESSAGE_PREFIX}${ulid}`;
}

export function request(ctx) {
  const senderId = ctx.args.filter.senderId;
  const bySender = senderId !== null && senderId !== undefined;
  const partition = bySender ? `${SENDER_PREFIX}${senderId}` : `${MESSAGE_PREFIX}${ctx.stash.recipient}`;
  ctx.stash.partition = partition;
  const query = {
    query: { [bySender ? 'senderKey' : 'PK']: { eq: partition }, SK: { gt: startAfter(ctx.args.after, partition) } },
    // One extra item proves whether a next page exists.
    limit: ctx.stash.pageSize + 1,
    scanIndexForward: true,
  };
  return ddb.query(bySender ? { ...query, index: SENDER_INDEX } : query);
}

export function response(ctx) {
  if (ctx.error) {
    console.error('queryMessages', ctx.error.type, ctx.error.message);
    util.error('The messages could not be read', 'ReadFailed');
  }
  const fetched = ctx.result.items;
  const pageSize = ctx.stash.pageSize;
  // DynamoDB may stop a Query at 1 MB before the limit; then the last item read is
  // held back as the proof that another page exists.
  const cutShort = fetched.length <= pageSize && ctx.result.nextToken;
  const shown = fetched.slice(0, cutShort ? fetched.length - 1 : pageSize);
  const last = shown[shown.length - 1];
  return {
    // Returned as stored: the schema's Message type decides what a caller sees.
    data: shown,
    pageInfo: {
      hasNextPage: shown.length < fetched.length,
      endCursor: last ? cursorAfter(ctx.stash.partition, last.SK) : null,
    },
  };
}
