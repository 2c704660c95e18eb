// Every operators' field (createClient, createClientKey, revokeClientKey, updateClientLimits, client, clients,
// auditEvents): pipeline operatorAction.
export function request() {
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
