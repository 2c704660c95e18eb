import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Records what delivery did, and adds it to the status history. Only a PENDING record
// takes a delivery outcome: if the provider's own report (handlers/status) got there
// first, the record already holds a later status, which stands.
export function request(ctx) {
  const { PK, SK } = ctx.stash.message;
  const outcome = ctx.prev.result;
  const now = util.time.nowISO8601();
  const update = {
    deliveryStatus: outcome.deliveryStatus,
    statusReason: outcome.statusReason,
    statusHistory: ddb.operations.append([{ status: outcome.deliveryStatus, reason: outcome.statusReason, at: now }]),
    updatedAt: now,
  };
  // Set only when there is one (never null). An SMS's is the key of the byProviderMessageId index, through
  // which carrier reports find their record; SES events find theirs by the email's tags, so an email's is
  // kept unindexed, which saves an index write per email.
  if (outcome.providerMessageId) {
    const attribute = ctx.stash.message.deliveryMethod === 'SMS' ? 'providerMessageId' : 'sesMessageId';
    update[attribute] = outcome.providerMessageId;
  }
  return ddb.update({ key: { PK, SK }, update, condition: { deliveryStatus: { eq: 'PENDING' } } });
}

export function response(ctx) {
  const overtaken = ctx.error && ctx.result && ctx.result.deliveryStatus !== 'PENDING';
  if (overtaken) {
    return ctx.result;
  }
  // The record stays PENDING until the stale-pending sweep marks it UNKNOWN (or a provider
  // report moves it on); the caller learns the outcome and the id here.
  if (ctx.error) {
    console.error('recordOutcome', ctx.error.type, ctx.error.message);
    util.error('The delivery outcome could not be recorded', 'OutcomeNotRecorded', null, {
      id: ctx.stash.message.id,
      deliveryStatus: ctx.prev.result.deliveryStatus,
    });
  }
  return ctx.result;
}
