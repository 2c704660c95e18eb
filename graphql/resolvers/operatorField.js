// Every operators' field but revokeClientKey (createClient, createClientKey, updateClientLimits, client, clients,
// auditEvents): pipeline operatorAction.
export function request() {
  return {};
}

export function response(ctx) {
  return ctx.prev.result;
}
