import { util } from '@aws-appsync/utils';

// The input rules of every field that takes a recipient, in one NONE-data-source pipeline function (one of
// sendMessage's ten pipeline slots, AppSync's maximum): sendMessage's recipient, message and record;
// getMessages' `filter.to`; eraseRecipient's `to`. Each reads the recipient the same way, so a history is found,
// and erased, however the address was typed.

// ---------------------------------------------------------------------------------------------------------
// The recipient
// ---------------------------------------------------------------------------------------------------------

// Messages are keyed by the canonical address: email addresses are case-insensitive, and phone numbers
// ignore the spaces, dashes, dots and parentheses people format them with.
const PHONE_FORMATTING = [' ', '-', '.', '(', ')'];

function canonicalRecipient(typed) {
  const text = (typed ?? '').trim();
  if (text.indexOf('@') >= 0) {
    return text.toLowerCase();
  }
  // Trimmed again: formatting may have hidden other white space, e.g. "( +44 ...)".
  return PHONE_FORMATTING.reduce((digits, mark) => digits.split(mark).join(''), text).trim();
}

// ---------------------------------------------------------------------------------------------------------
// The message (sendMessage)
// ---------------------------------------------------------------------------------------------------------

// Limits. An email body is capped well below DynamoDB's 400 KB item size so the
// record, its metadata and its status history always fit in one item.
const MAX_EMAIL_BODY_BYTES = 256 * 1024;
const MAX_SMS_BODY_CHARACTERS = 1600;
const MAX_SUBJECT_CHARACTERS = 256;
const MAX_ID_CHARACTERS = 256;
const DEFAULT_SUBJECT = 'Message';
const SECONDS_PER_DAY = 24 * 60 * 60;
const PENDING_REASON = 'Recorded; delivery not attempted yet';
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const MESSAGE_PREFIX = 'MESSAGE#';
const SENDER_PREFIX = 'SENDER#';

// util.matches follows java.util.regex and must match the whole value.
// The top-level domain is letters, or an internationalised one in its ASCII form (xn--...).
const EMAIL_ADDRESS =
  "[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})";
const E164_PHONE_NUMBER = '\\+[1-9][0-9]{6,14}';
const SMS_SENDER_ID = '[A-Za-z0-9]{1,11}';
// SNS rejects an all-digit sender ID. Two plain patterns rather than a lookahead.
const HAS_A_LETTER = '[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*';
// Tabs and line breaks are text; other control characters (C0, DEL and C1, where terminal
// escapes live) are not. A single line also has no Unicode line or paragraph separator.
const TEXT = '[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*';
const SINGLE_LINE = '[^\\x00-\\x1F\\x7F-\\x9F\\u2028\\u2029]*';
// Visible ASCII: UUIDs, ULIDs, base64 and the like, with nothing that normalises differently.
const IDEMPOTENCY_KEY = '[\\x21-\\x7E]{1,128}';

function reject(field, rule, message) {
  util.error(`${field}: ${message}`, 'ValidationError', null, { field, rule });
}

function lowerCased(list) {
  return (list ?? []).map((entry) => entry.toLowerCase());
}

function utf8Length(text) {
  const encoded = util.base64Encode(text);
  const padding = encoded.endsWith('==') ? 2 : encoded.endsWith('=') ? 1 : 0;
  return (encoded.length / 4) * 3 - padding;
}

function checkOptionalLine(field, value, maxCharacters) {
  if (value === null || value === undefined) {
    return;
  }
  if (value.trim() === '') {
    reject(field, 'notBlank', 'must not be blank when given');
  }
  if (value.length > maxCharacters) {
    reject(field, 'maxLength', `must be at most ${maxCharacters} characters`);
  }
  if (!util.matches(SINGLE_LINE, value)) {
    reject(field, 'noControlCharacters', 'must not contain control characters or line breaks');
  }
}

function checkBody(input) {
  if (input.body.trim() === '') {
    reject('input.body', 'notBlank', 'must not be empty');
  }
  if (!util.matches(TEXT, input.body)) {
    reject('input.body', 'noControlCharacters', 'must not contain control characters other than tabs and line breaks');
  }
  if (input.deliveryMethod === 'SMS' && input.body.length > MAX_SMS_BODY_CHARACTERS) {
    reject('input.body', 'maxLength', `an SMS body must be at most ${MAX_SMS_BODY_CHARACTERS} characters`);
  }
  if (input.deliveryMethod === 'EMAIL' && utf8Length(input.body) > MAX_EMAIL_BODY_BYTES) {
    reject('input.body', 'maxBytes', `an email body must be at most ${MAX_EMAIL_BODY_BYTES} bytes of UTF-8`);
  }
}

// Compared case-insensitively, sent as configured: SES identities (and the IAM ARNs naming
// them) keep the case they were verified with.
function emailSender(from, config) {
  if (from === null || from === undefined) {
    return config.defaultEmailFrom;
  }
  const wanted = from.trim().toLowerCase();
  const configured = [config.defaultEmailFrom, ...(config.allowedEmailSenders ?? [])];
  const sender = configured.find((address) => address.toLowerCase() === wanted);
  if (sender === undefined) {
    reject('input.from', 'allowedSender', 'is not one of the allowed sender addresses');
  }
  return sender;
}

function smsSender(from, config) {
  if (from === null || from === undefined) {
    return null;
  }
  const sender = from.trim();
  if (!util.matches(SMS_SENDER_ID, sender) || !util.matches(HAS_A_LETTER, sender)) {
    reject('input.from', 'smsSenderId', 'an SMS sender ID is 1 to 11 letters or digits, at least one a letter');
  }
  const allowed = lowerCased(config.allowedSmsSenderIds);
  if (allowed.indexOf(sender.toLowerCase()) < 0) {
    reject('input.from', 'allowedSender', 'is not one of the allowed SMS sender IDs');
  }
  return sender;
}

function checkIdempotencyKey(key) {
  if (key !== null && key !== undefined && !util.matches(IDEMPOTENCY_KEY, key)) {
    reject('input.idempotencyKey', 'format', 'must be 1 to 128 visible ASCII characters (no spaces)');
  }
}

function checkRecipient(recipient, deliveryMethod, config) {
  if (recipient === '') {
    reject('input.to', 'required', 'must not be empty');
  }
  if (deliveryMethod === 'EMAIL' && !(recipient.length <= 254 && util.matches(EMAIL_ADDRESS, recipient))) {
    reject('input.to', 'email', 'must be a valid email address');
  }
  if (deliveryMethod === 'SMS' && !util.matches(E164_PHONE_NUMBER, recipient)) {
    reject('input.to', 'e164', 'must be a phone number in E.164 form, e.g. +14155550100');
  }
  // SMS only to the countries (E.164 prefixes) the environment allows: the toll-fraud guard.
  // Without a list (the local stack's default) every number is allowed.
  const prefixes = config.smsAllowedPrefixes;
  if (deliveryMethod === 'SMS' && prefixes && !prefixes.some((prefix) => recipient.startsWith(prefix))) {
    reject('input.to', 'allowedPrefix', `must be a number in a country this service sends SMS to (${prefixes.join(', ')})`);
  }
}

// Builds the record to store: everything the later steps need, nothing unset.
function messageRecord(ctx) {
  const input = ctx.args.input;
  const recipient = canonicalRecipient(input.to);
  ctx.stash.recipient = recipient;
  ctx.stash.mailbox = recipient;
  checkRecipient(recipient, input.deliveryMethod, ctx.stash.config);
  checkBody(input);
  checkOptionalLine('input.subject', input.subject, MAX_SUBJECT_CHARACTERS);
  checkOptionalLine('input.senderId', input.senderId, MAX_ID_CHARACTERS);
  checkOptionalLine('input.recipientId', input.recipientId, MAX_ID_CHARACTERS);
  checkIdempotencyKey(input.idempotencyKey);
  if (input.deliveryMethod === 'SMS' && input.subject !== null && input.subject !== undefined) {
    reject('input.subject', 'emailOnly', 'is only allowed for EMAIL; an SMS has no subject');
  }
  const isEmail = input.deliveryMethod === 'EMAIL';
  const from = isEmail ? emailSender(input.from, ctx.stash.config) : smsSender(input.from, ctx.stash.config);
  const ulid = util.autoUlid();
  const id = `${MESSAGE_PREFIX}${ulid}`;
  const now = util.time.nowISO8601();
  const { scope, mode } = ctx.stash.caller;
  // A TEST key's messages are kept for less time than LIVE ones.
  const retentionDays = mode === 'TEST' ? ctx.stash.config.testMessageRetentionDays : ctx.stash.config.messageRetentionDays;
  if (!retentionDays) {
    util.error('The delivery configuration has no message retention', 'ConfigurationMissing');
  }
  // A mailbox's messages share a partition (erasure and the limits work on the mailbox); each caller's sort
  // keys begin with its scope, so its queries never reach another client's or mode's messages.
  const message = {
    PK: `${MESSAGE_PREFIX}${ctx.stash.mailbox}`,
    SK: `${scope}${id}`,
    id,
    to: recipient,
    body: input.body,
    deliveryMethod: input.deliveryMethod,
    deliveryStatus: 'PENDING',
    statusReason: PENDING_REASON,
    statusHistory: [{ status: 'PENDING', reason: PENDING_REASON, at: now }],
    createdAt: now,
    updatedAt: now,
    // DynamoDB's TTL deletes the record then (the retention the environment sets).
    expiresAt: util.time.nowEpochSeconds() + retentionDays * SECONDS_PER_DAY,
  };
  const hasSender = input.senderId !== null && input.senderId !== undefined;
  const optional = {
    from,
    subject: isEmail ? input.subject ?? DEFAULT_SUBJECT : null,
    senderId: input.senderId,
    // The partition of the sparse bySender index: only messages with a sender are in it.
    senderKey: hasSender ? `${scope}${SENDER_PREFIX}${input.senderId}` : null,
    recipientId: input.recipientId,
    idempotencyKey: input.idempotencyKey,
  };
  Object.entries(optional).forEach(([name, value]) => {
    if (value !== null && value !== undefined) {
      message[name] = value;
    }
  });
  return message;
}

// ---------------------------------------------------------------------------------------------------------
// Per field
// ---------------------------------------------------------------------------------------------------------

// Puts the recipient in the stash, canonical, when the field was given one: getMessages' filter may name a
// sender instead (its resolver has checked that exactly one is given).
function stashRecipient(ctx, typed) {
  if (typed !== null && typed !== undefined) {
    ctx.stash.recipient = canonicalRecipient(typed);
    ctx.stash.mailbox = ctx.stash.recipient;
  }
  return ctx.stash.recipient ?? null;
}

// sendMessage: the record to store. getMessages, eraseRecipient: the canonical recipient.
export function request(ctx) {
  switch (ctx.info.fieldName) {
    case 'sendMessage':
      return { payload: messageRecord(ctx) };
    case 'getMessages':
      return { payload: stashRecipient(ctx, ctx.args.filter.to) };
    case 'eraseRecipient':
      return { payload: stashRecipient(ctx, ctx.args.to) };
    default:
      return util.error(`validateInput has no input rules for ${ctx.info.fieldName}`, 'Code');
  }
}

export function response(ctx) {
  // The NONE data source hands the payload back; it has no error of its own to pass on.
  if (ctx.info.fieldName === 'sendMessage') {
    ctx.stash.message = ctx.result;
  }
  return ctx.result;
}
