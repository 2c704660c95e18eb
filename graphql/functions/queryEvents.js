import { runtime, util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Reads one page of the caller's event feed: the partition EVENT#<clientId>#<mode> (the publisher writes it,
// handlers/clients/publisher.py), sorted by event id. The partition is the caller's own (identifyCaller), so
// the Query is bound to its client and mode whatever the cursor says.
//
// Settle time: an event id's time is when its status change was recorded, and the event reaches the feed a
// moment later (through the table's stream and the publisher), not always in id order: a change recorded
// first may be stored after a later one. A caller that read the later one and pages on with `after` would
// never see the earlier. So the feed shows only events recorded at least SETTLE_SECONDS ago, by when every
// earlier one is stored: a page may end before the newest events, which the next read returns.
//
// A cursor is the ULID of the last event shown plus a checksum over it and the partition, as queryMessages.js
// makes them (tests/resolvers/test_message_events.py pins the copy): a cursor of another client's or mode's
// feed, or of getMessages, is a clear error instead of an arbitrary position.
const ULID = '[0-9A-HJKMNP-TV-Z]{26}';
const CHECKSUM = '[0-9a-f]{8}';
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
const HEX_DIGITS = '0123456789abcdef';
const NIBBLE_SHIFTS = [28, 24, 20, 16, 12, 8, 4, 0];
const FNV_OFFSET_BASIS = 2166136261;
const SETTLE_SECONDS = 5;
const CROCKFORD_BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
// A ULID's time: 10 base-32 digits of milliseconds, most significant first (exact: they stay below 2^53).
const TIME_DIGIT_POWERS = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((power) => Math.pow(32, power));
// The greatest 80 random bits: with a time, the last id of that millisecond.
const LAST_RANDOM = 'ZZZZZZZZZZZZZZZZ';
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const EVENT_PREFIX = 'EVENT#';

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

// The greatest event id recorded at or before `millis`.
function lastIdAt(millis) {
  return TIME_DIGIT_POWERS.map((power) => CROCKFORD_BASE32[Math.floor(millis / power) % 32]).join('') + LAST_RANDOM;
}

function cursorAt(partition, ulid) {
  return `${ulid}${checksum(partition, ulid)}`;
}

// The cursor's event id; an error for anything that is not a cursor of this feed.
function cursorId(cursor, partition) {
  const ulid = cursor.slice(0, 26);
  if (!util.matches(ULID + CHECKSUM, cursor) || checksum(partition, ulid) !== cursor.slice(26)) {
    util.error('after: is not a cursor returned by messageEvents for this caller', 'ValidationError', null, {
      field: 'after',
      rule: 'cursor',
    });
  }
  return ulid;
}

function emptyPage(after) {
  return { data: [], pageInfo: { hasNextPage: false, endCursor: after ?? null } };
}

export function request(ctx) {
  const { clientId, mode } = ctx.stash.caller;
  const partition = `${EVENT_PREFIX}${clientId}#${mode}`;
  ctx.stash.partition = partition;
  const after = ctx.args.after;
  const settled = lastIdAt(util.time.nowEpochMilliSeconds() - SETTLE_SECONDS * 1000);
  const given = after !== null && after !== undefined;
  // Just past the cursor's id (an id has a fixed length, so appending the lowest character sorts after it
  // and before every later id).
  const from = given ? `${cursorId(after, partition)}0` : null;
  if (from !== null && from > settled) {
    // Nothing after the cursor has settled yet (a clock a little behind the one that made the cursor).
    return runtime.earlyReturn(emptyPage(after));
  }
  return ddb.query({
    query: { PK: { eq: partition }, SK: from === null ? { le: settled } : { between: [from, settled] } },
    // One extra item proves whether a next page exists. Eventually consistent (half the read cost): the
    // settle time outlasts the replication of an event written before it.
    limit: ctx.stash.pageSize + 1,
    scanIndexForward: true,
  });
}

export function response(ctx) {
  if (ctx.error) {
    console.error('queryEvents', ctx.error.type, ctx.error.message);
    util.error('The events could not be read', 'ReadFailed');
  }
  const fetched = ctx.result.items;
  const pageSize = ctx.stash.pageSize;
  // DynamoDB may stop a Query at 1 MB before the limit; then the last item read is
  // held back as the proof that another page exists.
  const cutShort = fetched.length <= pageSize && ctx.result.nextToken;
  const shown = fetched.slice(0, cutShort ? fetched.length - 1 : pageSize);
  if (shown.length === 0) {
    // The caller keeps its place: the cursor it gave is the one to read from next time.
    return emptyPage(ctx.args.after);
  }
  return {
    // Returned as stored: the schema's MessageEvent type decides what a caller sees.
    data: shown,
    pageInfo: {
      hasNextPage: shown.length < fetched.length,
      endCursor: cursorAt(ctx.stash.partition, shown[shown.length - 1].SK),
    },
  };
}
