import { util } from '@aws-appsync/utils';

// Only the stack's event publisher may publish to the subscriptions. Any other IAM principal allowed
// appsync:GraphQL on the API (an operator, a backend's role mapped to a client) could otherwise push forged
// events, carrying any client and mode, to another client's subscribers: the schema's @aws_iam alone admits
// them all. The publisher is named in CONFIG/DELIVERY (Terraform writes it from the role it creates for the
// publisher; the AWS provider cannot set AppSync environment variables) as the prefix of its role's sessions'
// ARNs, arn:<partition>:sts::<account>:assumed-role/<role name>/. The session name after the last slash is the
// only part of the caller's ARN that may differ, so a role whose name merely starts the same never matches.
// One eventually consistent GetItem, paid only when the publisher publishes (it does so only while a client has a
// live subscriber); DynamoDB bills it by the whole item's size, whatever the projection keeps. Only a role's
// session prefix is accepted as the value, so a hand-edited item naming every role (assumed-role/) or a user
// lets no one publish rather than everyone.
// The storage contract (graphql/manifest.json; tests/test_storage_contract.py pins these copies).
const CONFIG_PK = 'CONFIG';
const CONFIG_SK = 'DELIVERY';
const PUBLISHER_ATTRIBUTE = 'eventPublisher';
const ROLE_SESSIONS = '^arn:[a-z-]+:sts::[0-9]{12}:assumed-role/[^/]+/$';

function callerArn(identity) {
  return identity !== null && identity !== undefined && typeof identity.userArn === 'string' ? identity.userArn : null;
}

export function request(ctx) {
  // A key's or the API key's caller is refused without a read (the schema's @aws_iam refuses them first in AWS).
  if (callerArn(ctx.identity) === null) {
    util.unauthorized();
  }
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ PK: CONFIG_PK, SK: CONFIG_SK }),
    projection: { expression: '#publisher', expressionNames: { '#publisher': PUBLISHER_ATTRIBUTE } },
  };
}

export function response(ctx) {
  if (ctx.error) {
    console.error('authorizePublisher', ctx.error.type, ctx.error.message);
    util.error('The delivery configuration could not be read', 'ConfigurationUnavailable');
  }
  const publisher = ctx.result ? ctx.result[PUBLISHER_ATTRIBUTE] : null;
  // No publisher configured means no caller may publish, never every caller.
  const isPublisher = typeof publisher === 'string' && util.matches(ROLE_SESSIONS, publisher) && callerArn(ctx.identity).startsWith(publisher);
  if (!isPublisher) {
    util.unauthorized();
  }
  return ctx.prev.result;
}
