// Our implementation of the APPSYNC_JS runtime modules `@aws-appsync/utils` and
// `@aws-appsync/utils/dynamodb` (npm ships types only). It runs inside QuickJS,
// next to the unmodified resolver files. Shapes follow what AWS AppSync's
// EvaluateCode returns (see tests/conformance): e.g. `N` values stay JSON numbers.
//
// It implements what the resolvers, the conformance vectors and the runtime tests use, and
// nothing more: each helper kept without a user could drift from AppSync unnoticed. An option
// or form of a kept helper beyond that fails loudly (`notImplemented`) rather than being ignored.
//
// Host services that JavaScript cannot provide (ULIDs, the pinnable clock, Java-style
// regex, base64 of UTF-8) come from Python callables registered as `__host_*` globals.

// Arguments and results cross to the host as JSON text: the binding would cut a string at
// its first NUL character and turn large integers into 32-bit ones.
const host = Object.fromEntries(
  ["base64_encode", "log", "matches", "now_millis", "ulid"].map((name) => [name, (...args) => JSON.parse(globalThis[`__host_${name}`](JSON.stringify(args)))]),
);

class AppSyncError extends Error {
  constructor(message, errorType, data, errorInfo) {
    super(message);
    this.errorType = errorType ?? null;
    this.data = data ?? null;
    this.errorInfo = errorInfo ?? null;
  }
}

class EarlyReturn extends Error {
  constructor(value, skipTo) {
    super("runtime.earlyReturn");
    this.value = value;
    this.skipTo = skipTo;
  }
}

let appendedErrors = [];
// ctx.info of the handler running, for util.unauthorized().
let currentInfo = {};

function notImplemented(what) {
  throw new TypeError(`${what} is not implemented by the local AppSync runtime`);
}

// The payload of a helper, after checking it uses only the options the runtime implements.
function accepted(helper, payload, names) {
  for (const [name, value] of Object.entries(payload)) {
    if (value !== undefined && value !== null && !names.includes(name)) notImplemented(`${helper}: ${name}`);
  }
  return payload;
}

function describe(error) {
  return {
    message: String(error.message ?? error),
    errorType: error.errorType ?? null,
    data: error.data ?? null,
    errorInfo: error.errorInfo ?? null,
  };
}

// ---------------------------------------------------------------------------
// util.dynamodb: plain JS values to DynamoDB attribute values
// ---------------------------------------------------------------------------

function toDynamoDB(value) {
  if (value === null || value === undefined) return { NULL: null };
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: value };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(toDynamoDB) };
  if (typeof value === "object") return { M: toMapValues(value) };
  throw new TypeError(`util.dynamodb.toDynamoDB: unsupported value of type ${typeof value}`);
}

function toMapValues(object) {
  const out = {};
  for (const [name, value] of Object.entries(object)) {
    if (value !== undefined) out[name] = toDynamoDB(value);
  }
  return out;
}

const orNull = (convert) => (value) => (value === null || value === undefined ? null : convert(value));

const dynamodbUtil = {
  toDynamoDB,
  toMapValues,
  toString: orNull((value) => ({ S: value })),
  toStringSet: orNull((list) => ({ SS: list })),
  toNumber: orNull((value) => ({ N: value })),
  toNumberSet: orNull((list) => ({ NS: list })),
  toBinary: orNull((value) => ({ B: value })),
  toBinarySet: orNull((list) => ({ BS: list })),
  toBoolean: orNull((value) => ({ BOOL: value })),
  toNull: () => ({ NULL: null }),
  toList: orNull((list) => ({ L: list.map(toDynamoDB) })),
  toMap: orNull((object) => ({ M: toMapValues(object) })),
};

// ---------------------------------------------------------------------------
// util.transform: filter objects to DynamoDB expressions, in the text AWS
// records: `(#f = :f_eq)`, `(begins_with(#f,:f_beginsWith))`, value names
// prefixed with their nesting path (`:and_0_f_eq`, `:not_f_eq`).
// ---------------------------------------------------------------------------

class Unrenderable extends Error {}

const COMPARATORS = { eq: "=", lt: "<", le: "<=", gt: ">", ge: ">=" };
const FUNCTIONS = { contains: "contains", beginsWith: "begins_with" };

const isPlainObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

function leaf(operand, operator, argument, valueName, values) {
  const value = (suffix, raw) => {
    const placeholder = `${valueName}_${suffix}`;
    values[placeholder] = toDynamoDB(raw);
    return placeholder;
  };
  if (COMPARATORS[operator]) return `(${operand} ${COMPARATORS[operator]} ${value(operator, argument)})`;
  if (FUNCTIONS[operator]) return `(${FUNCTIONS[operator]}(${operand},${value(operator, argument)}))`;
  if (operator === "between") {
    if (!Array.isArray(argument) || argument.length < 2) throw new Unrenderable();
    return `(${operand} BETWEEN ${value("between_start", argument[0])} AND ${value("between_end", argument[1])})`;
  }
  if (operator === "attributeExists") {
    if (typeof argument !== "boolean") throw new Unrenderable();
    return argument ? `(attribute_exists(${operand}))` : `(attribute_not_exists(${operand}))`;
  }
  throw new Unrenderable();
}

function fieldExpression(field, condition, prefix, values) {
  if (!isPlainObject(condition)) throw new Unrenderable();
  const name = `#${field}`;
  const leaves = [];
  for (const [operator, argument] of Object.entries(condition)) {
    if (argument === undefined) continue;
    if (operator === "size") {
      if (!isPlainObject(argument)) throw new Unrenderable();
      for (const [sizeOperator, sizeArgument] of Object.entries(argument)) {
        leaves.push(leaf(`size(${name})`, sizeOperator, sizeArgument, `:${prefix}${field}_size`, values));
      }
    } else {
      leaves.push(leaf(name, operator, argument, `:${prefix}${field}`, values));
    }
  }
  return leaves.length > 1 ? `(${leaves.join(" AND ")})` : leaves.join("");
}

function filterExpression(filter, prefix, names, values) {
  if (!isPlainObject(filter)) throw new Unrenderable();
  const parts = [];
  for (const [key, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    if (key === "and" || key === "or") {
      if (!Array.isArray(condition)) throw new Unrenderable();
      const members = condition.map((member, index) => filterExpression(member, `${prefix}${key}_${index}_`, names, values));
      parts.push(members.length > 1 ? `(${members.join(key === "and" ? " AND " : " OR ")})` : members.join(""));
    } else if (key === "not") {
      parts.push(`(NOT ${filterExpression(condition, `${prefix}not_`, names, values)})`);
    } else {
      names[`#${key}`] = key;
      parts.push(fieldExpression(key, condition, prefix, values));
    }
  }
  return parts.join(" AND ");
}

// null where AWS returns null: input it cannot render.
function toExpressionObject(filter) {
  const names = {};
  const values = {};
  try {
    const expression = filterExpression(filter, "", names, values);
    return { expression, expressionNames: names, expressionValues: values };
  } catch (error) {
    if (error instanceof Unrenderable) return null;
    throw error;
  }
}

// ---------------------------------------------------------------------------
// util.transform.toSubscriptionFilter: a filter object to AppSync's subscription filter, in disjunctive
// normal form: `filterGroup` (OR) of `filters` (AND) of {fieldName, operator, value}. As AWS documents it
// (AppSync developer guide, "Transformation helpers in util.transform", subscription filter arguments):
// several operators on one field are ORed; "and" and "or" take arrays of filter objects and nest; the entries
// of one object are ANDed, each group keeping the entries' order. Which operators and values AppSync accepts
// is checked where the filter is set (local/appsync/subscription_filters.py), as AppSync checks it then.
// ---------------------------------------------------------------------------

// Every conjunction of `left` with every conjunction of `right`, left-major as in AWS's documented output.
const crossProduct = (left, right) => left.flatMap((conjunction) => right.map((other) => [...conjunction, ...other]));

function disjunction(filter) {
  if (!isPlainObject(filter)) throw new TypeError(`toSubscriptionFilter: a filter object is expected, not ${JSON.stringify(filter)}`);
  let groups = [[]];
  for (const [key, condition] of Object.entries(filter)) {
    if (condition === undefined) continue;
    if (key === "and" || key === "or") {
      if (!Array.isArray(condition) || condition.length === 0) throw new TypeError(`toSubscriptionFilter: "${key}" takes a non-empty array of filter objects`);
      const members = condition.map(disjunction);
      groups = crossProduct(groups, key === "and" ? members.reduce(crossProduct, [[]]) : members.flat());
    } else {
      // The value shorthand ({field: value}) and anything but an operator map is not documented: refuse it.
      if (!isPlainObject(condition) || Object.keys(condition).length === 0) {
        notImplemented(`toSubscriptionFilter: ${key} must map operators to values ({ eq: value })`);
      }
      const alternatives = Object.entries(condition).map(([operator, value]) => [{ fieldName: key, operator, value }]);
      groups = crossProduct(groups, alternatives);
    }
  }
  return groups;
}

function toSubscriptionFilter(filter, ignoredFields, rules) {
  if (ignoredFields !== undefined && ignoredFields !== null) notImplemented("toSubscriptionFilter: ignoredFields");
  if (rules !== undefined && rules !== null) notImplemented("toSubscriptionFilter: rules");
  return { filterGroup: disjunction(filter).map((filters) => ({ filters })) };
}

const transformUtil = {
  toDynamoDBFilterExpression: (filter) => JSON.stringify(toExpressionObject(filter)),
  toDynamoDBConditionExpression: (condition) => JSON.stringify(toExpressionObject(condition)),
  toSubscriptionFilter,
};

// ---------------------------------------------------------------------------
// util
// ---------------------------------------------------------------------------

const util = {
  error(message, errorType, data, errorInfo) {
    throw new AppSyncError(message, errorType, data, errorInfo);
  },
  // The field-level denial AppSync gives when an auth mode may not use a field.
  unauthorized() {
    throw new AppSyncError(`Not Authorized to access ${currentInfo.fieldName} on type ${currentInfo.parentTypeName}`, "Unauthorized");
  },
  appendError(message, errorType, data, errorInfo) {
    appendedErrors.push(describe(new AppSyncError(message, errorType, data, errorInfo)));
  },
  autoUlid: () => host.ulid(),
  matches: (pattern, value) => host.matches(pattern, value),
  base64Encode: (text) => host.base64_encode(text),
  time: {
    // Date's ISO form is AppSync's AWSDateTime form: milliseconds and a Z.
    nowISO8601: () => new Date(host.now_millis()).toISOString(),
    nowEpochSeconds: () => Math.floor(host.now_millis() / 1000),
    nowEpochMilliSeconds: () => host.now_millis(),
  },
  dynamodb: dynamodbUtil,
  transform: transformUtil,
};

const runtime = {
  earlyReturn(value, options) {
    throw new EarlyReturn(value, options?.skipTo ?? null);
  },
};

// ---------------------------------------------------------------------------
// extensions: what a resolver asks of AppSync's real-time side (AppSync developer guide, "Extensions",
// APPSYNC_JS). The calls are recorded and handed back with the handler's outcome; the host acts on them
// (local/appsync/realtime.py). As documented, the subscription filters may be set only in a subscription
// resolver's response handler, and invalidateSubscriptions called only in a mutation resolver's response
// handler; anywhere else the call fails loudly here. (The host counts a request's invalidations.)
// ---------------------------------------------------------------------------

let currentPhase = { unit: "", phase: "" };
let extensionCalls = {};

function requireResolverResponse(helper, parentTypeName) {
  const { unit, phase } = currentPhase;
  if (!unit.startsWith("resolver:") || phase !== "response" || currentInfo.parentTypeName !== parentTypeName) {
    throw new TypeError(`extensions.${helper} may be called only in the response handler of a ${parentTypeName} resolver, not in ${unit} ${phase}`);
  }
}

function filterArgument(helper, filter) {
  if (!isPlainObject(filter) || !Array.isArray(filter.filterGroup)) {
    throw new TypeError(`extensions.${helper} takes a subscription filter ({ filterGroup: [...] }, from util.transform.toSubscriptionFilter)`);
  }
  return filter;
}

const extensions = {
  setSubscriptionFilter(filter) {
    requireResolverResponse("setSubscriptionFilter", "Subscription");
    extensionCalls.subscriptionFilter = filterArgument("setSubscriptionFilter", filter);
  },
  setSubscriptionInvalidationFilter(filter) {
    requireResolverResponse("setSubscriptionInvalidationFilter", "Subscription");
    extensionCalls.invalidationFilter = filterArgument("setSubscriptionInvalidationFilter", filter);
  },
  invalidateSubscriptions(invalidation) {
    requireResolverResponse("invalidateSubscriptions", "Mutation");
    const { subscriptionField, payload } = accepted("extensions.invalidateSubscriptions", invalidation ?? {}, ["subscriptionField", "payload"]);
    if (typeof subscriptionField !== "string" || !isPlainObject(payload)) {
      throw new TypeError("extensions.invalidateSubscriptions takes { subscriptionField: string, payload: object }");
    }
    extensionCalls.invalidations = [...(extensionCalls.invalidations ?? []), { subscriptionField, payload }];
  },
  evictFromApiCache: () => notImplemented("extensions.evictFromApiCache"),
};

// ---------------------------------------------------------------------------
// @aws-appsync/utils/dynamodb
// ---------------------------------------------------------------------------

const operations = {
  add: (value) => ({ type: "OPERATION_ADD", value }),
  remove: () => ({ type: "OPERATION_REMOVE" }),
  replace: (value) => ({ type: "OPERATION_REPLACE", value }),
  increment: (by = 1) => ({ type: "OPERATION_INCREMENT", by }),
  decrement: (by = 1) => ({ type: "OPERATION_DECREMENT", by }),
  append: (items) => ({ type: "OPERATION_APPEND", items }),
  prepend: (items) => ({ type: "OPERATION_PREPEND", items }),
};

// Each operation as one clause of an UpdateExpression: [SET or REMOVE, its text].
const UPDATE_ACTIONS = {
  OPERATION_ADD: (path, change, valueFor) => ["set", `${path} = ${valueFor(change.value)}`],
  OPERATION_REPLACE: (path, change, valueFor) => ["set", `${path} = ${valueFor(change.value)}`],
  OPERATION_REMOVE: (path) => ["remove", path],
  OPERATION_INCREMENT: (path, change, valueFor) => ["set", `${path} = ${path} + ${valueFor(change.by)}`],
  OPERATION_DECREMENT: (path, change, valueFor) => ["set", `${path} = ${path} - ${valueFor(change.by)}`],
  OPERATION_APPEND: (path, change, valueFor) => ["set", `${path} = list_append(${path}, ${valueFor(change.items)})`],
  OPERATION_PREPEND: (path, change, valueFor) => ["set", `${path} = list_append(${valueFor(change.items)}, ${path})`],
};

// Compiles an update object into one UpdateExpression. Placeholders are
// numbered `#expName_n` / `:expValue_n` in order of appearance, as AWS does.
// Only operations.remove() removes: AppSync documents nothing else for it, so a plain
// null is written as a NULL value (which DynamoDB refuses for an index key).
function updateExpression(update) {
  const names = {};
  const values = {};
  const clauses = { set: [], remove: [] };
  const valueFor = (value) => {
    const placeholder = `:expValue_${Object.keys(values).length + 1}`;
    values[placeholder] = toDynamoDB(value);
    return placeholder;
  };
  for (const [attribute, change] of Object.entries(update)) {
    if (change === undefined) continue;
    const path = `#expName_${Object.keys(names).length + 1}`;
    names[path] = attribute;
    if (isPlainObject(change)) {
      const action = UPDATE_ACTIONS[change.type];
      if (!action) notImplemented(`ddb.update of a nested attribute (${attribute})`);
      const [kind, text] = action(path, change, valueFor);
      clauses[kind].push(text);
    } else {
      clauses.set.push(`${path} = ${valueFor(change)}`);
    }
  }
  const expression = [];
  if (clauses.set.length) expression.push(`SET ${clauses.set.join(", ")}`);
  if (clauses.remove.length) expression.push(`REMOVE ${clauses.remove.join(", ")}`);
  const result = { expression: expression.join(" "), expressionNames: names };
  if (Object.keys(values).length) result.expressionValues = values;
  return result;
}

// Key conditions use the same operators as filters (eq, gt, ...).
function keyConditionExpression(query) {
  const expression = toExpressionObject(query);
  if (expression === null || expression.expression === "") {
    throw new TypeError("query: a key condition such as { pk: { eq: value } } is required");
  }
  return expression;
}

function withOptional(request, options) {
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && value !== null) request[name] = value;
  }
  return request;
}

// Helpers take filter objects; an empty one means no condition at all.
function conditionObject(condition) {
  if (condition === null || condition === undefined) return undefined;
  const expression = toExpressionObject(condition);
  if (expression === null) throw new TypeError(`cannot build a DynamoDB expression from ${JSON.stringify(condition)}`);
  return expression.expression === "" ? undefined : expression;
}

function putRequest({ key, item, condition }) {
  return withOptional({ operation: "PutItem", key: toMapValues(key), attributeValues: toMapValues(item ?? {}) }, {
    condition: conditionObject(condition),
  });
}

const dynamodbModule = {
  operations,
  get(payload) {
    const { key, consistentRead } = accepted("ddb.get", payload, ["key", "consistentRead"]);
    return withOptional({ operation: "GetItem", key: toMapValues(key) }, { consistentRead });
  },
  put: (payload) => putRequest(accepted("ddb.put", payload, ["key", "item", "condition"])),
  remove(payload) {
    const { key } = accepted("ddb.remove", payload, ["key"]);
    return { operation: "DeleteItem", key: toMapValues(key) };
  },
  update(payload) {
    const { key, update, condition } = accepted("ddb.update", payload, ["key", "update", "condition"]);
    return withOptional({ operation: "UpdateItem", key: toMapValues(key), update: updateExpression(update) }, {
      condition: conditionObject(condition),
    });
  },
  query(payload) {
    const { query, index, limit, scanIndexForward } = accepted("ddb.query", payload, ["query", "index", "limit", "scanIndexForward"]);
    return withOptional({ operation: "Query", query: keyConditionExpression(query) }, { index, limit, scanIndexForward });
  },
  scan(payload) {
    const { limit, nextToken } = accepted("ddb.scan", payload, ["limit", "nextToken"]);
    return withOptional({ operation: "Scan" }, { limit, nextToken });
  },
  transactWrite(payload) {
    const { items } = accepted("ddb.transactWrite", payload, ["items"]);
    const transactItems = items.map((item) => {
      const { putItem, updateItem, removeItem } = accepted("ddb.transactWrite item", item, ["putItem", "updateItem", "removeItem"]);
      if (putItem) {
        return { table: putItem.table, ...putRequest(accepted("ddb.transactWrite putItem", putItem, ["table", "key", "item", "condition"])) };
      }
      if (updateItem) {
        const { table, key, update, condition } = accepted("ddb.transactWrite updateItem", updateItem, ["table", "key", "update", "condition"]);
        return withOptional({ table, operation: "UpdateItem", key: toMapValues(key), update: updateExpression(update) }, {
          condition: conditionObject(condition),
        });
      }
      const { table, key, condition } = accepted("ddb.transactWrite removeItem", removeItem, ["table", "key", "condition"]);
      return withOptional({ table, operation: "DeleteItem", key: toMapValues(key) }, { condition: conditionObject(condition) });
    });
    return { operation: "TransactWriteItems", transactItems };
  },
};

// ---------------------------------------------------------------------------
// console: in AppSync its lines go to the API's CloudWatch logs (console.error at field log level
// ERROR); here to the local stack's log.
// ---------------------------------------------------------------------------

const asText = (value) => (typeof value === "string" ? value : JSON.stringify(value));
globalThis.console = Object.fromEntries(
  ["log", "info", "warn", "error", "debug"].map((level) => [level, (...args) => host.log(level, args.map(asText).join(" "))]),
);

// ---------------------------------------------------------------------------
// Host entry points
// ---------------------------------------------------------------------------

const handlers = {};

globalThis.__appsync = {
  modules: {
    "@aws-appsync/utils": { util, runtime, extensions },
    "@aws-appsync/utils/dynamodb": dynamodbModule,
  },
  handlers,
};

// Runs one handler (request or response) of one code unit. The context crosses
// the boundary as JSON, and so does the outcome; the stash travels back so that
// later handlers of the same pipeline see what this one stored.
globalThis.__appsync_invoke = (unit, phase, contextJson) => {
  const ctx = JSON.parse(contextJson);
  ctx.arguments = ctx.args;
  appendedErrors = [];
  extensionCalls = {};
  currentInfo = ctx.info ?? {};
  currentPhase = { unit, phase };
  const handler = handlers[unit]?.[phase];
  let outcome;
  if (typeof handler !== "function") {
    outcome = { kind: "missing", message: `${unit} does not export a ${phase} function` };
  } else {
    try {
      const value = handler(ctx);
      outcome = { kind: "value", value: value === undefined ? null : value };
    } catch (error) {
      if (error instanceof AppSyncError) {
        outcome = { kind: "error", error: describe(error) };
      } else if (error instanceof EarlyReturn) {
        outcome = { kind: "earlyReturn", value: error.value === undefined ? null : error.value, skipTo: error.skipTo };
      } else {
        outcome = { kind: "crash", message: `${error?.name ?? "Error"}: ${error?.message ?? error}`, stack: error?.stack ?? "" };
      }
    }
  }
  outcome.stash = ctx.stash;
  outcome.appendedErrors = appendedErrors;
  outcome.extensions = extensionCalls;
  return JSON.stringify(outcome);
};
