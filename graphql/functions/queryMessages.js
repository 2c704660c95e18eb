import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Reads one page of the caller's messages to a recipient (the table: the mailbox's partition) or by a sender
// (the sparse bySender index); both are sorted by the message's ULID. Every key the caller can reach begins with
// its scope (identifyCaller): the sort keys in a mailbox's partition, the sender index's partition key. So the
// Query itself is bound to the caller's client and mode, whatever the filter or cursor says.
//
// A cursor is the ULID of the last message shown plus a checksum over it, the partition and the scope. A
// cursor can never reach another recipient's, sender's or client's messages; the checksum turns a tampered or
// foreign cursor into a clear error instead of an arbitrary position.
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const CHECKSUM = '[0-9a-f]{8}';
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const HEX_DIGITS = '0123456789abcdef';
const NIBBLE_SHIFTS = [28, 24, 20, 16, 12, 8, 4, 0];
const FNV_OFFSET_BASIS = 2166136261;
// Above every ULID character: the end of a scope's run of sort keys.
const AFTER_EVERY_ULID = '~';
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

function cursorAfter(bound, sortKey) {
  const ulid = sortKey.slice(-26);
  return `${ulid}${checksum(bound, ulid)}`;
}

// The first sort key of the page: the scope's first message, or just past the cursor's (a ULID has a fixed
// length, so appending the lowest character sorts before every later ULID and after the cursor's own).
function startAfter(cursor, bound, keyPrefix) {
  if (cursor === null || cursor === undefined) {
    return keyPrefix;
  }
  const ulid = cursor.slice(0, 26);
  if (!util.matches(ULID + CHECKSUM, cursor) || checksum(bound, ulid) !== cursor.slice(26)) {
    util.error('after: is not a cursor returned for this filter', 'ValidationError', null, {
      field: 'after',
      rule: 'cursor',
    });
  }
  return `${keyPrefix}${ulid}0`;
}

export function request(ctx) {
  const senderId = ctx.args.filter.senderId;
  const bySender = senderId !== null && senderId !== undefined;
  const scope = ctx.stash.caller.scope;
  const partition = bySender ? `${scope}${SENDER_PREFIX}${senderId}` : `${MESSAGE_PREFIX}${ctx.stash.mailbox}`;
  const keyPrefix = `${scope}${MESSAGE_PREFIX}`;
  // What a cursor is bound to: the partition, and the caller's scope within it (cursors of the records kept
  // from before clients existed, in no scope, stay valid across the upgrade).
  ctx.stash.bound = scope === '' ? partition : `${partition}|${scope}`;
  const query = {
    query: {
      [bySender ? 'senderKey' : 'PK']: { eq: partition },
      SK: { between: [startAfter(ctx.args.after, ctx.stash.bound, keyPrefix), `${keyPrefix}${AFTER_EVERY_ULID}`] },
    },
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
      endCursor: last ? cursorAfter(ctx.stash.bound, last.SK) : null,
    },
  };
}
