import { util } from '@aws-appsync/utils';

// The input rules of every field that takes a recipient, in one NONE-data-source pipeline function (one of
// sendMessage's ten pipeline slots, AppSync's maximum): sendMessage's recipient, message and record;
// getMessages' `filter.to`; eraseRecipient's `to`. Each reads the recipient the same way, so a history is found,
// and erased, however the address was typed.

// ---------------------------------------------------------------------------------------------------------
// Phone numbers, read as Google's libphonenumber reads them
// ---------------------------------------------------------------------------------------------------------

// A number is typed as "+", its country calling code and the national number, with spaces, dashes, dots and
// parentheses anywhere. It is parsed as libphonenumber parses it (tests/resolvers/test_phone_numbers.py holds
// the two side by side): a national (trunk) prefix after the calling code, the "(0)" of "+44 (0) 20 ..." or the
// "1" of "+1 1 415 ...", is dropped as libphonenumber drops it, so a number has one canonical E.164 form however
// it was typed. The calling codes, at the end of this file, are generated from libphonenumber
// (tools/phone_numbering.py); whether a number is valid, and of which country, is in the CONFIG/DELIVERY item
// (smsNumbering), which only sendMessage reads.
const PHONE_FORMATTING = [' ', '-', '.', '(', ')'];
const PLUS_AND_DIGITS = '\\+[0-9]{3,}';
const MAX_TYPED_NUMBER_CHARACTERS = 250;
const MIN_NATIONAL_DIGITS = 2;
const MAX_NATIONAL_DIGITS = 17;
const CALLING_CODE_DIGITS = [1, 2, 3];
// Positions in a national number, tried one by one (APPSYNC_JS has no classic for loop); a national prefix
// match is never longer (tools/phone_numbering.py checks).
const POSITIONS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

function withoutFormatting(text) {
  return PHONE_FORMATTING.reduce((rest, mark) => rest.split(mark).join(''), text);
}

// util.matches only tells whether a pattern matches the whole value. Where a match of the national prefix
// pattern ends, or a group of it starts, is found from a capture of the digits that follow it (taken in a
// lookahead, so the pattern matches as it would alone): the one position from which the rest of the number
// equals that capture. (Java keeps a capture taken in a lookahead on a path it then leaves, so a group's own
// capture, which it does not keep, tells whether the group took part.)
function positionOfCapture(matched, group, digits) {
  return POSITIONS.find((position) => position <= digits.length && util.matches(`${matched}[0-9]{${position}}\\${group}`, digits));
}

// libphonenumber keeps a number without its national prefix unless that leaves a length no number has.
function hasPossibleLength(digits, lengths, localOnlyLengths) {
  if (localOnlyLengths.indexOf(digits.length) >= 0 || digits.length < lengths[0]) {
    return false;
  }
  return digits.length > lengths[lengths.length - 1] || lengths.indexOf(digits.length) >= 0;
}

// The national number with its national prefix dropped (or transformed, as "0 11 15 ..." becomes "9 11 ..." in
// Argentina), where libphonenumber drops it: not where that turns a number of the region's general pattern
// into one outside it, nor where it leaves an impossible length.
function withoutNationalPrefix(national, prefixing) {
  const [prefix, groups, generalPattern, lengths, localOnlyLengths, transform] = prefixing;
  const matched = `(?=(?:${prefix})(?=([0-9]*)))`;
  if (!util.matches(`${matched}[0-9]*`, national)) {
    return national;
  }
  const end = positionOfCapture(matched, groups + 1, national);
  // A transform applies when its group took part in the match; otherwise the whole match is dropped.
  const kept =
    transform && util.matches(`${matched}[0-9]*\\${transform[1]}[0-9]*`, national)
      ? `${transform[0]}${national.slice(positionOfCapture(matched, transform[2], national), positionOfCapture(matched, transform[3], national))}${national.slice(end)}`
      : national.slice(end);
  if (util.matches(generalPattern, national) && !util.matches(generalPattern, kept)) {
    return national;
  }
  return hasPossibleLength(kept, lengths, localOnlyLengths) ? kept : national;
}

// { callingCode, national } as libphonenumber parses the text, or null where it reads no number from it.
function parsePhoneNumber(text) {
  const compact = withoutFormatting(text).trim();
  if (text.length > MAX_TYPED_NUMBER_CHARACTERS || !util.matches(PLUS_AND_DIGITS, compact)) {
    return null;
  }
  const digits = compact.slice(1);
  const withoutPrefix = CALLING_CODES_WITHOUT_NATIONAL_PREFIX.split(' ');
  const callingCode = CALLING_CODE_DIGITS.map((length) => digits.slice(0, length)).find(
    (code) => !code.startsWith('0') && (NATIONAL_PREFIXES[code] !== undefined || withoutPrefix.indexOf(code) >= 0),
  );
  if (callingCode === undefined || digits.length - callingCode.length < MIN_NATIONAL_DIGITS) {
    return null;
  }
  const prefixing = NATIONAL_PREFIXES[callingCode];
  const national = prefixing ? withoutNationalPrefix(digits.slice(callingCode.length), prefixing) : digits.slice(callingCode.length);
  return national.length > MAX_NATIONAL_DIGITS ? null : { callingCode, national };
}

// [possible lengths (none: any), pattern] of a number description.
function isOfDescription(national, [lengths, pattern]) {
  return (lengths.length === 0 || lengths.indexOf(national.length) >= 0) && util.matches(pattern, national);
}

// Valid for a region: of its general description and of one of its number types.
function isValidFor(national, region) {
  return region.general !== null && isOfDescription(national, region.general) && region.types.some((type) => isOfDescription(national, type));
}

// The region a number belongs to, as libphonenumber tells it: its calling code's only region, or the first of
// the code's regions (in libphonenumber's order) whose leading digits it starts with or, for a region without
// them, of which it is a valid number: +1 876 ... is Jamaica's, not the US's.
function regionOf(national, regions) {
  if (regions.length === 1) {
    return regions[0];
  }
  return regions.find((region) =>
    region.leadingDigits ? util.matches(`(?:${region.leadingDigits})[0-9]*`, national) : isValidFor(national, region),
  );
}

// ---------------------------------------------------------------------------------------------------------
// The recipient
// ---------------------------------------------------------------------------------------------------------

// Messages are keyed by the canonical address: email addresses are case-insensitive, and a phone number is in
// E.164 form. Text that is neither keeps its form without phone formatting, so a filter still names one partition.
function readRecipient(typed) {
  const text = (typed ?? '').trim();
  if (text.indexOf('@') >= 0) {
    return { recipient: text.toLowerCase(), number: null };
  }
  const number = parsePhoneNumber(text);
  // Trimmed again: formatting may have hidden other white space, e.g. "( +44 ...)".
  return { recipient: number ? `+${number.callingCode}${number.national}` : withoutFormatting(text).trim(), number };
}

// Puts the canonical recipient in the stash, and gives the reading of it.
function stashRecipient(ctx, typed) {
  const reading = readRecipient(typed);
  ctx.stash.recipient = reading.recipient;
  return reading;
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

// SMS only to valid numbers of the countries the environment allows (the CONFIG/DELIVERY item's
// smsAllowedCountries, with the numbering of their calling codes in smsNumbering): the toll-fraud guard.
function checkSmsRecipient(number, config) {
  if (number === null || !util.matches(E164_PHONE_NUMBER, `+${number.callingCode}${number.national}`)) {
    reject('input.to', 'e164', 'must be a phone number in international form: + and the country code, e.g. +1 415 555 0100');
  }
  if (!config.smsNumbering || !config.smsAllowedCountries) {
    util.error('The delivery configuration has no SMS countries', 'ConfigurationMissing');
  }
  const countries = config.smsAllowedCountries;
  const numbering = config.smsNumbering[number.callingCode];
  const region = numbering ? regionOf(number.national, JSON.parse(numbering)) : undefined;
  if (numbering && !(region && isValidFor(number.national, region))) {
    reject('input.to', 'validNumber', 'is not a valid phone number');
  }
  if (!region || countries.indexOf(region.region) < 0) {
    reject('input.to', 'allowedCountry', `must be a number in a country this service sends SMS to (${countries.join(', ')})`);
  }
  // Deprecated: the E.164 prefixes an environment may still give instead of countries (countries are then
  // those of the prefixes' calling codes).
  const prefixes = config.smsAllowedPrefixes;
  const e164 = `+${number.callingCode}${number.national}`;
  if (prefixes && !prefixes.some((prefix) => e164.startsWith(prefix))) {
    reject('input.to', 'allowedPrefix', `must be a number in a country this service sends SMS to (${prefixes.join(', ')})`);
  }
}

function checkRecipient({ recipient, number }, deliveryMethod, config) {
  if (recipient === '') {
    reject('input.to', 'required', 'must not be empty');
  }
  if (deliveryMethod === 'EMAIL' && !(recipient.length <= 254 && util.matches(EMAIL_ADDRESS, recipient))) {
    reject('input.to', 'email', 'must be a valid email address');
  }
  if (deliveryMethod === 'SMS') {
    checkSmsRecipient(number, config);
  }
}

// Builds the record to store: everything the later steps need, nothing unset.
function messageRecord(ctx) {
  const input = ctx.args.input;
  const reading = stashRecipient(ctx, input.to);
  const recipient = reading.recipient;
  checkRecipient(reading, input.deliveryMethod, ctx.stash.config);
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
  const retentionDays = ctx.stash.config.messageRetentionDays;
  if (!retentionDays) {
    util.error('The delivery configuration has no message retention', 'ConfigurationMissing');
  }
  const message = {
    PK: `${MESSAGE_PREFIX}${recipient}`,
    SK: id,
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
    senderKey: hasSender ? `${SENDER_PREFIX}${input.senderId}` : null,
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

// The recipient of getMessages' filter, when given (it may name a sender instead: its resolver has checked that
// exactly one is given), or eraseRecipient's.
function stashGivenRecipient(ctx, typed) {
  return typed === null || typed === undefined ? null : stashRecipient(ctx, typed).recipient;
}

// sendMessage: the record to store. getMessages, eraseRecipient: the canonical recipient.
export function request(ctx) {
  switch (ctx.info.fieldName) {
    case 'sendMessage': {
      const message = messageRecord(ctx);
      // Only this step reads the numbering plan, the largest part of the configuration: the next ones need not carry it.
      delete ctx.stash.config.smsNumbering;
      return { payload: message };
    }
    case 'getMessages':
      return { payload: stashGivenRecipient(ctx, ctx.args.filter.to) };
    case 'eraseRecipient':
      return { payload: stashGivenRecipient(ctx, ctx.args.to) };
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

// <phone-numbering: generated by tools/phone_numbering.py; do not edit by hand>
// From phonenumbers 9.0.43: every country calling code. NATIONAL_PREFIXES: after a code whose main
// region has a national prefix, how libphonenumber drops it: [prefix pattern, its groups, general pattern, possible
// lengths, local-only lengths, transform?]; a transform is [digits put in front, the group kept, the captures of
// the digits from where it starts and from where it ends].
const CALLING_CODES_WITHOUT_NATIONAL_PREFIX = '30 34 39 45 47 48 52 56 65 216 220 221 222 223 224 225 226 227 228 229 230 235 236 237 238 239 240 242 244 245 246 247 248 253 257 258 266 267 268 269 290 297 299 350 351 354 356 357 371 372 376 420 500 501 502 503 504 505 507 509 592 597 599 670 673 674 675 676 677 678 679 680 681 682 683 685 687 688 689 690 691 800 808 852 853 870 878 881 882 883 888 960 965 968 973 974 975 979 992 998';
const NATIONAL_PREFIXES = {
  1: ['1',0,'[2-9]\\d{9}|3\\d{6}',[10],[7]],
  7: ['8',0,'8\\d{13}|[347-9]\\d{9}',[10,14],[7]],
  20: ['0',0,'[189]\\d{8,9}|[24-6]\\d{8}|[135]\\d{7}',[8,9,10],[6,7]],
  27: ['0',0,'[1-79]\\d{8}|8\\d{4,9}',[5,6,7,8,9,10],[]],
  31: ['0',0,'(?:[124-7]\\d\\d|3(?:[02-9]\\d|1[0-8]))\\d{6}|8\\d{6,9}|9\\d{6,10}|1\\d{4,5}',[5,6,7,8,9,10,11],[]],
  32: ['0',0,'4\\d{8}|[1-9]\\d{7}',[8,9],[]],
  33: ['0',0,'[1-9]\\d{8}',[9],[]],
  36: ['06',0,'[235-7]\\d{8}|[1-9]\\d{7}',[8,9],[6,7]],
  40: ['0',0,'(?:[2378]\\d|90)\\d{7}|[23]\\d{5}',[6,9],[]],
  41: ['0',0,'8\\d{11}|[2-9]\\d{8}',[9,12],[]],
  43: ['0',0,'1\\d{3,12}|2\\d{6,12}|43(?:(?:0\\d|5[02-9])\\d{3,9}|2\\d{4,5}|[3467]\\d{4}|8\\d{4,6}|9\\d{4,7})|5\\d{4,12}|8\\d{7,12}|9\\d{8,12}|(?:[367]\\d|4[0-24-9])\\d{4,11}',[4,5,6,7,8,9,10,11,12,13],[3]],
  44: ['0|180020',0,'[1-357-9]\\d{9}|[18]\\d{8}|8\\d{6}',[7,9,10],[4,5,6,8]],
  46: ['0',0,'(?:[26]\\d\\d|9)\\d{9}|[1-9]\\d{8}|[1-689]\\d{7}|[1-4689]\\d{6}|2\\d{5}',[6,7,8,9,10,12],[]],
  49: ['0',0,'[2579]\\d{5,14}|49(?:[34]0|69|8\\d)\\d\\d?|49(?:37|49|60|7[089]|9\\d)\\d{1,3}|49(?:2[024-9]|3[2-689]|7[1-7])\\d{1,8}|(?:1|[368]\\d|4[0-8])\\d{3,13}|49(?:[015]\\d|2[13]|31|[46][1-8])\\d{1,9}',[4,5,6,7,8,9,10,11,12,13,14,15],[2,3]],
  51: ['0',0,'(?:[14-8]|9\\d)\\d{7}',[8,9],[6,7]],
  53: ['0',0,'(?:[2-7]|8\\d\\d)\\d{7}|[2-47]\\d{6}|[34]\\d{5}',[6,7,8,10],[4,5]],
  54: ['0?(?:((?=([0-9]*))(?:11|2(?:2(?:02?|[13]|2[13-79]|4[1-6]|5[2457]|6[124-8]|7[1-4]|8[13-6]|9[1267])|3(?:02?|1[467]|2[03-6]|3[13-8]|[49][2-6]|5[2-8]|[67])|4(?:7[3-578]|9)|6(?:[0136]|2[24-6]|4[6-8]?|5[15-8])|80|9(?:0[1-3]|[19]|2\\d|3[1-6]|4[02568]?|5[2-4]|6[2-46]|72?|8[23]?))|3(?:3(?:2[79]|6|8[2578])|4(?:0[0-24-9]|[12]|3[5-8]?|4[24-7]|5[4-68]?|6[02-9]|7[126]|8[2379]?|9[1-36-8])|5(?:1|2[1245]|3[237]?|4[1-46-9]|6[2-4]|7[1-6]|8[2-5]?)|6[24]|7(?:[069]|1[1568]|2[15]|3[145]|4[13]|5[14-8]|7[2-57]|8[126])|8(?:[01]|2[15-7]|3[2578]?|4[13-6]|5[4-8]?|6[1-357-9]|7[36-8]?|8[5-8]?|9[124])))(?=([0-9]*)))15)?',3,'(?:11|[89]\\d\\d)\\d{8}|[2368]\\d{9}',[10,11],[6,7,8],['9',1,2,3]],
  55: ['(?:0|90)(?:(1[245]|2[1-35]|31|4[13]|[56]5|99)((?=([0-9]*))(?:\\d{10,11})(?=([0-9]*))))?',4,'[1-467]\\d{9,10}|55[0-46-9]\\d{8}|[34]\\d{7}|55\\d{7,8}|(?:5[0-46-9]|[89]\\d)\\d{7,9}',[8,9,10,11],[],['',2,3,4]],
  57: ['0([3579]|4(?:[14]4|56))?',1,'(?:46|60\\d\\d)\\d{6}|(?:1\\d|[39])\\d{9}',[8,10,11],[4,7]],
  58: ['0',0,'[68]00\\d{7}|(?:[24]\\d|[59]0)\\d{8}',[10],[7]],
  60: ['0',0,'1\\d{8,9}|(?:3\\d|[4-9])\\d{7}',[8,9,10],[6,7]],
  61: ['(183[12])|0',1,'1(?:[0-79]\\d{7}(?:\\d(?:\\d{2})?)?|8[0-24-9]\\d{7})|[2-478]\\d{8}|1\\d{4,7}',[5,6,7,8,9,10,12],[]],
  62: ['0',0,'00[1-9]\\d{9,14}|(?:[1-36]|8\\d{5})\\d{6}|00\\d{9}|[1-9]\\d{8,10}|[2-9]\\d{7}',[7,8,9,10,11,12,13,14,15,16,17],[5,6]],
  63: ['0',0,'(?:[2-7]|9\\d)\\d{8}|2\\d{5}|(?:1800|8)\\d{7,9}',[6,8,9,10,11,12,13],[4,5,7]],
  64: ['0',0,'[1289]\\d{9}|50\\d{5}(?:\\d{2,3})?|[27-9]\\d{7,8}|(?:[34]\\d|6[0-35-9])\\d{6}|8\\d{4,6}',[5,6,7,8,9,10],[]],
  66: ['0',0,'(?:001800|[2-57]|[689]\\d)\\d{7}|1\\d{7,9}',[8,9,10,13],[]],
  81: ['((?=([0-9]*))(?:000[2569]\\d{4,6})(?=([0-9]*)))$|(?:(?:003768)0?)|0',3,'00[1-9]\\d{6,14}|[25-9]\\d{9}|(?:00|[1-9]\\d\\d)\\d{6}',[8,9,10,11,12,13,14,15,16,17],[],['',1,2,3]],
  82: ['0(8(?:[1-46-8]|5\\d\\d))?',1,'00[1-9]\\d{8,11}|(?:[12]|5\\d{3})\\d{7}|[13-6]\\d{9}|(?:[1-6]\\d|80)\\d{7}|[3-6]\\d{4,5}|(?:00|7)0\\d{8}',[5,6,8,9,10,11,12,13,14],[3,4,7]],
  84: ['0',0,'[12]\\d{9}|[135-9]\\d{8}|[16]\\d{6,7}|7\\d{6}',[7,8,9,10],[]],
  86: ['(1(?:[12]\\d|79)\\d\\d)|0',1,'(?:(?:1[03-689]|2\\d)\\d\\d|6)\\d{8}|1\\d{10}|[126]\\d{6}(?:\\d(?:\\d{2})?)?|86\\d{5,6}|(?:[3-579]\\d|8[0-57-9])\\d{5,9}',[7,8,9,10,11,12],[5,6]],
  90: ['0',0,'4\\d{6}|8\\d{11,12}|(?:[2-58]\\d\\d|900)\\d{7}',[7,10,12,13],[]],
  91: ['0',0,'(?:000800|[2-9]\\d\\d)\\d{7}|1\\d{7,12}',[8,9,10,11,12,13],[6,7]],
  92: ['0',0,'122\\d{6}|[24-8]\\d{10,11}|9(?:[013-9]\\d{8,10}|2(?:[01]\\d\\d|2(?:[06-8]\\d|1[01]))\\d{7})|(?:[2-8]\\d{3}|92(?:[0-7]\\d|8[1-9]))\\d{6}|[24-9]\\d{8}|[89]\\d{7}',[8,9,10,11,12],[5,6,7]],
  93: ['0',0,'[2-7]\\d{8}',[9],[7]],
  94: ['0',0,'[1-9]\\d{8}',[9],[7]],
  95: ['0',0,'1\\d{5,7}|95\\d{6}|(?:[4-7]|9[0-46-9])\\d{6,8}|(?:2|8\\d)\\d{5,8}',[6,7,8,9,10],[5]],
  98: ['0',0,'[1-9]\\d{9}|(?:[1-8]\\d\\d|9)\\d{3,4}',[4,5,6,7,10],[8]],
  211: ['0',0,'[19]\\d{8}',[9],[]],
  212: ['0',0,'[5-8]\\d{8}',[9],[]],
  213: ['0',0,'(?:[1-4]|[5-79]\\d|80)\\d{7}',[8,9],[]],
  218: ['0',0,'[2-9]\\d{8}',[9],[7]],
  231: ['0',0,'(?:[2457]\\d|33|88)\\d{7}|(?:2\\d|[4-6])\\d{6}',[7,8,9],[]],
  232: ['0',0,'(?:[237-9]\\d|66)\\d{6}',[8],[6]],
  233: ['0',0,'[235]\\d{8}|800\\d{5,6}',[8,9],[7]],
  234: ['0',0,'(?:20|9\\d)\\d{8}|[78]\\d{9,13}',[10,11,12,13,14],[6,7]],
  241: ['0((?=([0-9]*))(?:11\\d{6}|60\\d{6}|61\\d{6}|6[256]\\d{6}|7[467]\\d{6})(?=([0-9]*)))',3,'(?:[067]\\d|11)\\d{6}|[2-7]\\d{6}',[7,8],[],['',1,2,3]],
  243: ['0',0,'(?:(?:[189]|5\\d)\\d|2)\\d{7}|[1-68]\\d{6}',[7,8,9,10],[]],
  249: ['0',0,'[19]\\d{8}',[9],[]],
  250: ['0',0,'(?:06|[27]\\d\\d|[89]00)\\d{6}',[8,9],[]],
  251: ['0',0,'(?:11|[2-57-9]\\d)\\d{7}',[9],[7]],
  252: ['0',0,'[346-9]\\d{8}|[12679]\\d{7}|[1-5]\\d{6}|[1348]\\d{5}',[6,7,8,9],[]],
  254: ['0',0,'(?:[17]\\d\\d|900)\\d{6}|(?:2|80)0\\d{6,7}|[4-6]\\d{6,8}',[7,8,9,10],[]],
  255: ['0',0,'(?:[25-8]\\d|41|90)\\d{7}',[9],[]],
  256: ['0',0,'800\\d{6}|(?:[29]0|[347]\\d)\\d{7}',[9],[5,6,7]],
  260: ['0',0,'800\\d{6}|(?:21|[579]\\d|63)\\d{7}',[9],[6]],
  261: ['((?=([0-9]*))(?:[24-9]\\d{6})(?=([0-9]*)))$|0',3,'[23]\\d{8}',[9],[7],['20',1,2,3]],
  262: ['0',0,'709\\d{6}|(?:26|[689]\\d)\\d{7}',[9],[]],
  263: ['0',0,'8\\d{6}(?:\\d{3})?|[235-8]\\d{8}',[7,9,10],[6]],
  264: ['0',0,'[68]\\d{7,8}',[8,9],[]],
  265: ['0',0,'(?:[1289]\\d|31|77)\\d{7}|1\\d{6}',[7,9],[]],
  291: ['0',0,'[178]\\d{6}',[7],[6]],
  298: ['(10(?:01|[12]0|88))',1,'[2-9]\\d{5}',[6],[]],
  352: ['(15(?:0[06]|1[12]|[35]5|4[04]|6[26]|77|88|99)\\d)',1,'35[013-9]\\d{4,8}|6\\d{8}|35\\d{2,4}|(?:[2457-9]\\d|3[0-46-9])\\d{2,9}',[4,5,6,7,8,9,10,11],[]],
  353: ['0',0,'(?:1\\d|[2569])\\d{6,8}|4\\d{6,9}|7\\d{8}|8\\d{8,9}',[7,8,9,10],[5,6]],
  355: ['0',0,'(?:700\\d\\d|900)\\d{3}|8\\d{5,7}|(?:[2-5]|6\\d)\\d{7}',[6,7,8,9],[5]],
  358: ['0',0,'[1-35689]\\d{4}|7\\d{10,11}|(?:[124-7]\\d|3[0-46-9])\\d{8}|[1-9]\\d{5,8}',[5,6,7,8,9,10,11,12],[]],
  359: ['0',0,'00800\\d{7}|[2-7]\\d{6,7}|[89]\\d{6,8}|2\\d{5}',[6,7,8,9,12],[4,5]],
  370: ['[08]',0,'(?:[3469]\\d|52|[78]0)\\d{6}',[8],[]],
  373: ['0',0,'(?:[235-7]\\d|[89]0)\\d{6}',[8],[]],
  374: ['0',0,'(?:[1-489]\\d|55|60|77)\\d{6}',[8],[5,6]],
  375: ['0|80?',0,'(?:[12]\\d|33|44|902)\\d{7}|8(?:0[0-79]\\d{5,7}|[1-7]\\d{9})|8(?:1[0-489]|[5-79]\\d)\\d{7}|8[1-79]\\d{6,7}|8[0-79]\\d{5}|8\\d{5}',[6,7,8,9,10,11],[5]],
  377: ['0',0,'(?:[3489]|[67]\\d)\\d{7}',[8,9],[]],
  378: ['((?=([0-9]*))(?:[89]\\d{5})(?=([0-9]*)))$',3,'(?:0549|[5-7]\\d)\\d{6}',[8,10],[6],['0549',1,2,3]],
  380: ['0',0,'[89]\\d{9}|[3-9]\\d{8}',[9,10],[5,6,7]],
  381: ['0',0,'38[02-9]\\d{6,9}|6\\d{7,9}|90\\d{4,8}|38\\d{5,6}|(?:7\\d\\d|800)\\d{3,9}|(?:[12]\\d|3[0-79])\\d{5,10}',[6,7,8,9,10,11,12],[4,5]],
  382: ['0',0,'(?:20|[3-79]\\d)\\d{6}|80\\d{6,7}',[8,9],[6]],
  383: ['0',0,'2\\d{7,8}|3\\d{7,11}|(?:4\\d\\d|[89]00)\\d{5}',[8,9,10,11,12],[]],
  385: ['0',0,'[2-69]\\d{8}|80\\d{5,7}|[1-79]\\d{7}|6\\d{6}',[7,8,9],[6]],
  386: ['0',0,'[1-7]\\d{7}|8\\d{4,7}|90\\d{4,6}',[5,6,7,8],[]],
  387: ['0',0,'6\\d{8}|(?:[35689]\\d|49|70)\\d{6}',[8,9],[6]],
  389: ['0',0,'[2-578]\\d{7}',[8],[6,7]],
  421: ['0',0,'[2-689]\\d{8}|[2-59]\\d{6}|[2-5]\\d{5}',[6,7,9],[]],
  423: ['(1001)|0',1,'[68]\\d{8}|(?:[2378]\\d|90)\\d{5}',[7,9],[]],
  506: ['(19(?:0[0-2468]|1[09]|20|66|77|99))',1,'(?:8\\d|90)\\d{8}|(?:[24-8]\\d{3}|3005)\\d{4}',[8,10],[]],
  508: ['0',0,'[78]\\d{8}|[2-9]\\d{5}',[6,9],[]],
  590: ['0',0,'7090\\d{5}|(?:[56]9|[89]\\d)\\d{7}',[9],[]],
  591: ['0(1\\d)?',1,'(?:[2-7]\\d\\d|8001)\\d{5}',[8,9],[7]],
  593: ['0',0,'1\\d{9,10}|(?:[2-7]|9\\d)\\d{7}',[8,9,10,11],[7]],
  594: ['0',0,'(?:694\\d|7093)\\d{5}|(?:59|[89]\\d)\\d{7}',[9],[]],
  595: ['0',0,'[36-8]\\d{5,8}|4\\d{6,8}|59\\d{6}|9\\d{5,10}|(?:2\\d|5[0-8])\\d{6,7}',[6,7,8,9,10,11],[5]],
  596: ['0',0,'7091\\d{5}|(?:[56]9|[89]\\d)\\d{7}',[9],[]],
  598: ['0',0,'0004\\d{2,9}|[1249]\\d{7}|2\\d{3,4}|(?:[49]\\d|80)\\d{5}',[4,5,6,7,8,9,10,11,12,13],[]],
  672: ['((?=([0-9]*))(?:[0-258]\\d{4})(?=([0-9]*)))$',3,'[13]\\d{5}',[6],[5],['3',1,2,3]],
  686: ['0',0,'(?:[37]\\d|6[0-79])\\d{6}|(?:[2-48]\\d|50)\\d{3}',[5,8],[]],
  692: ['1',0,'329\\d{4}|(?:[256]\\d|45)\\d{5}',[7],[]],
  850: ['0',0,'85\\d{6}|(?:19\\d|[2-7])\\d{7}',[8,10],[6,7]],
  855: ['0',0,'1\\d{9}|[1-9]\\d{7,8}',[8,9,10],[6,7]],
  856: ['0',0,'(?:2\\d|3)\\d{8}|(?:[235-8]\\d|41)\\d{6}',[8,9,10],[6]],
  880: ['0',0,'[1-469]\\d{9}|8[0-79]\\d{7,8}|[2-79]\\d{8}|[2-9]\\d{7}|[3-9]\\d{6}|[57-9]\\d{5}',[6,7,8,9,10],[]],
  886: ['0',0,'[2-689]\\d{8}|7\\d{9,10}|[2-8]\\d{7}|2\\d{6}',[7,8,9,10,11],[]],
  961: ['0',0,'[27-9]\\d{7}|[13-9]\\d{6}',[7,8],[]],
  962: ['0',0,'(?:(?:[2689]|7\\d)\\d|32|427|53)\\d{6}',[8,9],[]],
  963: ['0',0,'[1-359]\\d{8}|[1-5]\\d{7}',[8,9],[6,7]],
  964: ['0',0,'(?:1|7\\d\\d)\\d{7}|[2-6]\\d{7,8}',[8,9,10],[6,7]],
  966: ['0',0,'(?:[15]\\d|800|92)\\d{7}',[9,10],[7]],
  967: ['0',0,'(?:1|7\\d)\\d{7}|[1-7]\\d{6}',[7,8,9],[6]],
  970: ['0',0,'[2489]2\\d{6}|(?:1\\d|5)\\d{8}',[8,9,10],[7]],
  971: ['0',0,'(?:[4-7]\\d|9[0-689])\\d{7}|800\\d{2,9}|[2-4679]\\d{7}',[5,6,7,8,9,10,11,12],[]],
  972: ['0',0,'1\\d{6}(?:\\d{3,5})?|[57]\\d{8}|[1-489]\\d{7}',[7,8,9,10,11,12],[]],
  976: ['0',0,'[12]\\d{7,9}|[5-9]\\d{7}',[8,9,10],[4,5,6]],
  977: ['0',0,'(?:1\\d|9)\\d{9}|[1-9]\\d{7}',[8,10,11],[6,7]],
  993: ['8',0,'[1-7]\\d{7}',[8],[]],
  994: ['0',0,'365\\d{6}|(?:[124579]\\d|60|88)\\d{7}',[9],[7]],
  995: ['0',0,'(?:[3-57]\\d\\d|800)\\d{6}',[9],[6,7]],
  996: ['0',0,'8\\d{9}|[235-9]\\d{8}',[9,10],[5,6]],
};
// </phone-numbering>
