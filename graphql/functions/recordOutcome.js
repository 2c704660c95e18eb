import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Records what delivery did. The condition keeps a status from ever moving back
// to a delivery outcome once something later has been recorded.
export function request(ctx) {
  const { PK, SK } = ctx.stash.message;
  const outcome = ctx.prev.result;
  return ddb.update({
    key: { PK, SK },
    update: {
      deliveryStatus: outcome.deliveryStatus,
      statusReason: outcome.statusReason,
      providerMessageId: outcome.providerMessageId ?? null,
      updatedAt: util.time.nowISO8601(),
    },
    condition: { deliveryStatus: { eq: 'PENDING' } },
  });
}

export function response(ctx) {
  if (ctx.error) {
    util.error('The delivery outcome could not be recorded', 'OutcomeNotRecorded', null, {
      cause: ctx.error.type,
      id: ctx.stash.message.id,
    });
  }
  return ctx.result;
}
