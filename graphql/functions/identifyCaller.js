import { runtime, util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Who is calling: the client and the key's mode, whose scope every key of theirs carries, so that one client
// never reads or writes another's messages, claims or quota.
// - a client key (AWS_LAMBDA): the authorizer (handlers/authorizer) put the client and mode in resolverContext;
// - the environment's AppSync API key (API_KEY): the `default` client's LIVE key, the path callers had before
//   clients existed (ctx.identity is null);
// - SigV4 (AWS_IAM): the client the caller's role is mapped to (a Terraform setting, in CONFIG/DELIVERY).
//   An unmapped IAM caller may use the operators' fields only.
// For sendMessage, and for an IAM caller (whose mapping it holds), it also reads the CONFIG partition in one
// Query: the delivery settings Terraform writes (CONFIG/DELIVERY: senders, limits, retention; the AWS provider
// cannot set AppSync environment variables) and the channels' state the guardrail writes (CONFIG/CHANNELS); for an
// SMS, the countries it may go to with the numbering of their calling codes too (CONFIG/SMS, tens of KB, which an
// email does not pay to read).
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const CONFIG_PK = 'CONFIG';
const CONFIG_SK = 'DELIVERY';
const CHANNELS_SK = 'CHANNELS';
const SMS_SK = 'SMS';
const SCOPE_PREFIX = 'SCOPE#';
const DEFAULT_CLIENT_ID = 'default';
const MODES = ['LIVE', 'TEST'];

// Records of the `default` client's LIVE key keep the keys they had before clients existed (no scope), so an
// environment upgrades with every record where it was. Every other client and mode has its own scope.
function scopeOf(clientId, mode) {
  return clientId === DEFAULT_CLIENT_ID && mode === 'LIVE' ? '' : `${SCOPE_PREFIX}${clientId}#${mode}#`;
}

function caller(clientId, mode) {
  return { clientId, mode, scope: scopeOf(clientId, mode) };
}

function isIamCaller(identity) {
  return identity !== null && identity !== undefined && typeof identity.userArn === 'string';
}

// A key the authorizer accepted, or the API key; null for an IAM caller, whose client the config names.
function keyCaller(identity) {
  if (identity === null || identity === undefined) {
    return caller(DEFAULT_CLIENT_ID, 'LIVE');
  }
  const context = identity.resolverContext;
  if (context && context.clientId && MODES.indexOf(context.mode) >= 0) {
    return caller(context.clientId, context.mode);
  }
  return null;
}

// A role is mapped by its assumed-role ARN prefix (arn:aws:sts::<account>:assumed-role/<name>/), a user by its ARN.
function iamCaller(userArn, config) {
  const mapped = Object.entries(config.iamClients ?? {}).find(
    ([principal]) => userArn === principal || (principal.endsWith('/') && userArn.startsWith(principal)),
  );
  return mapped ? caller(mapped[1], 'LIVE') : null;
}

export function request(ctx) {
  const iam = isIamCaller(ctx.identity);
  if (!iam) {
    const known = keyCaller(ctx.identity);
    if (known === null) {
      util.unauthorized();
    }
    ctx.stash.caller = known;
    if (ctx.info.fieldName !== 'sendMessage') {
      return runtime.earlyReturn(ctx.prev.result);
    }
  }
  // Eventually consistent (half the read cost): a pause reaches every request within about a second. The SMS
  // item sorts after the others.
  const isSms = ctx.info.fieldName === 'sendMessage' && ctx.args.input.deliveryMethod === 'SMS';
  const sortKeys = isSms ? { le: SMS_SK } : { between: [CHANNELS_SK, CONFIG_SK] };
  return ddb.query({ query: { PK: { eq: CONFIG_PK }, SK: sortKeys } });
}

export function response(ctx) {
  if (ctx.error) {
    console.error('identifyCaller', ctx.error.type, ctx.error.message);
    util.error('The delivery configuration could not be read', 'ConfigurationUnavailable');
  }
  const items = ctx.result.items;
  const config = items.find((item) => item.SK === CONFIG_SK);
  if (!config) {
    util.error('The delivery configuration item (CONFIG/DELIVERY) is missing', 'ConfigurationMissing');
  }
  if (isIamCaller(ctx.identity)) {
    const mapped = iamCaller(ctx.identity.userArn, config);
    if (mapped === null) {
      util.unauthorized();
    }
    ctx.stash.caller = mapped;
  }
  const sms = items.find((item) => item.SK === SMS_SK) ?? {};
  ctx.stash.config = { ...config, smsAllowedCountries: sms.smsAllowedCountries, smsNumbering: sms.smsNumbering, smsAllowedPrefixes: sms.smsAllowedPrefixes };
  ctx.stash.channels = items.find((item) => item.SK === CHANNELS_SK) ?? {};
  return ctx.prev.result;
}
