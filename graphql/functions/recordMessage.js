import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

// Stores the PENDING record before anything is sent, so nothing is sent without one.
export function request(ctx) {
  const { PK, SK, ...item } = ctx.prev.result;
  return ddb.put({ key: { PK, SK }, item, condition: { PK: { attributeExists: false } } });
}

export function response(ctx) {
  if (ctx.error) {
    util.error('The message could not be recorded, so it was not sent', 'RecordFailed', null, {
      cause: ctx.error.type,
    });
  }
  return ctx.result;
}
