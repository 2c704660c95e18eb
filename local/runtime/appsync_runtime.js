// Our implementation of the APPSYNC_JS runtime modules `@aws-appsync/utils` and
// `@aws-appsync/utils/dynamodb` (npm ships types only). It runs inside QuickJS,
// next to the unmodified resolver files. Shapes follow what AWS AppSync's
// EvaluateCode returns (see tests/conformance): e.g. `N` values stay JSON numbers.
//
// Host services that JavaScript cannot provide (ULIDs, clocks, Java-style regex,
// base64 of UTF-8) come from Python callables registered as `__host_*` globals.

// Arguments and results cross to the host as JSON text: the binding would cut a string at
// its first NUL character and turn large integers into 32-bit ones.
const host = Object.fromEntries(
  ["auth_type", "base64_decode", "base64_encode", "epoch_millis_to_iso8601", "format_millis", "ksuid", "log", "matches", "now_millis", "parse_formatted_millis", "parse_iso8601_millis", "ulid", "uuid"].map((name) => [name, (...args) => JSON.parse(globalThis[`__host_${name}`](JSON.stringify(args)))]),
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

class Unauthorized extends Error {}

let appendedErrors = [];

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
  toS3Object(key, bucket, region, version) {
    const s3 = version === undefined ? { key, bucket, region } : { key, bucket, region, version };
    return { S: JSON.stringify({ s3 }) };
  },
  fromS3ObjectJson(text) {
    return JSON.parse(text).s3;
  },
};

// ---------------------------------------------------------------------------
// util.transform: filter objects to DynamoDB expressions, in the text AWS
// records: `(#f = :f_eq)`, `(begins_with(#f,:f_beginsWith))`, value names
// prefixed with their nesting path (`:and_0_f_eq`, `:not_f_eq`).
// ---------------------------------------------------------------------------

class Unrenderable extends Error {}

const COMPARATORS = { eq: "=", ne: "<>", lt: "<", le: "<=", gt: ">", ge: ">=" };
const FUNCTIONS = { contains: "contains", beginsWith: "begins_with" };
const ATTRIBUTE_TYPES = {
  _null: "NULL", string: "S", stringSet: "SS", number: "N", numberSet: "NS",
  binary: "B", binarySet: "BS", boolean: "BOOL", list: "L", map: "M",
};

const isPlainObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

function leaf(operand, operator, argument, valueName, values) {
  const value = (suffix, raw) => {
    const placeholder = `${valueName}_${suffix}`;
    values[placeholder] = toDynamoDB(raw);
    return placeholder;
  };
  if (COMPARATORS[operator]) return `(${operand} ${COMPARATORS[operator]} ${value(operator, argument)})`;
  if (FUNCTIONS[operator]) return `(${FUNCTIONS[operator]}(${operand},${value(operator, argument)}))`;
  if (operator === "notContains") return `(NOT contains(${operand},${value(operator, argument)}))`;
  if (operator === "between") {
    if (!Array.isArray(argument) || argument.length < 2) throw new Unrenderable();
    return `(${operand} BETWEEN ${value("between_start", argument[0])} AND ${value("between_end", argument[1])})`;
  }
  if (operator === "in") {
    if (!Array.isArray(argument)) throw new Unrenderable();
    if (argument.length === 0) return "(null)";
    return `(${operand} IN (${argument.map((member, index) => value(`in_${index}`, member)).join(", ")}))`;
  }
  if (operator === "attributeExists") {
    if (typeof argument !== "boolean") throw new Unrenderable();
    return argument ? `(attribute_exists(${operand}))` : `(attribute_not_exists(${operand}))`;
  }
  if (operator === "attributeType") {
    if (!ATTRIBUTE_TYPES[argument]) throw new Unrenderable();
    return `(attribute_type(${operand},${value(operator, ATTRIBUTE_TYPES[argument])}))`;
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

const transformUtil = {
  toDynamoDBFilterExpression: (filter) => JSON.stringify(toExpressionObject(filter)),
  toDynamoDBConditionExpression: (condition) => JSON.stringify(toExpressionObject(condition)),
};

// ---------------------------------------------------------------------------
// util
// ---------------------------------------------------------------------------

const util = {
  error(message, errorType, data, errorInfo) {
    throw new AppSyncError(message, errorType, data, errorInfo);
  },
  appendError(message, errorType, data, errorInfo) {
    appendedErrors.push(describe(new AppSyncError(message, errorType, data, errorInfo)));
  },
  unauthorized() {
    throw new Unauthorized();
  },
  autoId: () => host.uuid(),
  autoUlid: () => host.ulid(),
  autoKsuid: () => host.ksuid(),
  matches: (pattern, value) => host.matches(pattern, value),
  base64Encode: (text) => host.base64_encode(text),
  base64Decode: (text) => host.base64_decode(text),
  urlEncode: (text) => encodeURIComponent(text).replace(/%20/g, "+"),
  urlDecode: (text) => decodeURIComponent(text.replace(/\+/g, "%20")),
  escapeJavaScript: (text) => JSON.stringify(text).slice(1, -1),
  authType: () => host.auth_type(),
  time: {
    nowISO8601: () => host.epoch_millis_to_iso8601(host.now_millis()),
    nowEpochSeconds: () => Math.floor(host.now_millis() / 1000),
    nowEpochMilliSeconds: () => host.now_millis(),
    nowFormatted: (format, timezone) => host.format_millis(host.now_millis(), format, timezone ?? "UTC"),
    epochMilliSecondsToSeconds: (millis) => Math.floor(millis / 1000),
    epochMilliSecondsToISO8601: (millis) => host.epoch_millis_to_iso8601(millis),
    epochMilliSecondsToFormatted: (millis, format, timezone) => host.format_millis(millis, format, timezone ?? "UTC"),
    parseISO8601ToEpochMilliSeconds: (text) => host.parse_iso8601_millis(text),
    parseFormattedToEpochMilliSeconds: (text, format, timezone) =>
      host.parse_formatted_millis(text, format, timezone ?? "UTC"),
  },
  dynamodb: dynamodbUtil,
  transform: transformUtil,
  str: {
    normalize: (value, form) => value.normalize(form.toUpperCase()),
  },
  math: {
    roundNum: (value) => Math.round(value),
    minVal: (a, b) => Math.min(a, b),
    maxVal: (a, b) => Math.max(a, b),
    randomDouble: () => Math.random(),
    randomWithinRange: (start, end) => start + Math.floor(Math.random() * (end - start + 1)),
  },
};

const runtime = {
  earlyReturn(value, options) {
    throw new EarlyReturn(value, options?.skipTo ?? null);
  },
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
  updateListItem: (value, index) => ({ type: "OPERATION_UPDATE_LIST_ITEM", value, index }),
};

const isOperation = (value) =>
  value !== null && typeof value === "object" && !Array.isArray(value) &&
  typeof value.type === "string" && value.type.startsWith("OPERATION_");

// Compiles an update object into one UpdateExpression. Placeholders are
// numbered `#expName_n` / `:expValue_n` in order of appearance, as AWS does.
function updateExpression(update) {
  const names = {};
  const values = {};
  const set = [];
  const remove = [];
  let counter = 0;
  const nameFor = (attribute) => {
    counter += 1;
    const placeholder = `#expName_${counter}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const valueFor = (value) => {
    const placeholder = `:expValue_${Object.keys(values).length + 1}`;
    values[placeholder] = toDynamoDB(value);
    return placeholder;
  };
  const visit = (object, prefix) => {
    for (const [attribute, change] of Object.entries(object)) {
      if (change === undefined) continue;
      const path = prefix ? `${prefix}.${nameFor(attribute)}` : nameFor(attribute);
      // Only operations.remove() removes: AppSync documents nothing else for it, so a plain
      // null is written as a NULL value (which DynamoDB refuses for an index key).
      if (isOperation(change)) {
        switch (change.type) {
          case "OPERATION_ADD":
          case "OPERATION_REPLACE":
            set.push(`${path} = ${valueFor(change.value)}`);
            break;
          case "OPERATION_REMOVE":
            remove.push(path);
            break;
          case "OPERATION_INCREMENT":
            set.push(`${path} = ${path} + ${valueFor(change.by)}`);
            break;
          case "OPERATION_DECREMENT":
            set.push(`${path} = ${path} - ${valueFor(change.by)}`);
            break;
          case "OPERATION_APPEND":
            set.push(`${path} = list_append(${path}, ${valueFor(change.items)})`);
            break;
          case "OPERATION_PREPEND":
            set.push(`${path} = list_append(${valueFor(change.items)}, ${path})`);
            break;
          case "OPERATION_UPDATE_LIST_ITEM":
            set.push(`${path}[${change.index}] = ${valueFor(change.value)}`);
            break;
          default:
            throw new TypeError(`unsupported update operation ${change.type}`);
        }
      } else if (change === null) {
        set.push(`${path} = ${valueFor(null)}`);
      } else if (typeof change === "object" && !Array.isArray(change)) {
        visit(change, path);
      } else {
        set.push(`${path} = ${valueFor(change)}`);
      }
    }
  };
  visit(update, "");
  const clauses = [];
  if (set.length) clauses.push(`SET ${set.join(", ")}`);
  if (remove.length) clauses.push(`REMOVE ${remove.join(", ")}`);
  const result = { expression: clauses.join(" "), expressionNames: names };
  if (Object.keys(values).length) result.expressionValues = values;
  return result;
}

// Key conditions use the same operators as filters (eq, lt.., between, beginsWith).
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

function projectionObject(projection) {
  if (!projection || projection.length === 0) return undefined;
  const names = {};
  const expression = projection
    .map((path) => path.split(".").map((part) => {
      names[`#${part}`] = part;
      return `#${part}`;
    }).join("."))
    .join(", ");
  return { expression, expressionNames: names };
}

const dynamodbModule = {
  operations,
  toStringSet: dynamodbUtil.toStringSet,
  toNumberSet: dynamodbUtil.toNumberSet,
  toBinarySet: dynamodbUtil.toBinarySet,
  get({ key, consistentRead, projection }) {
    return withOptional({ operation: "GetItem", key: toMapValues(key) }, {
      consistentRead, projection: projectionObject(projection),
    });
  },
  put({ key, item, condition, customPartitionKey, populateIndexFields, _version }) {
    return withOptional({ operation: "PutItem", key: toMapValues(key), attributeValues: toMapValues(item ?? {}) }, {
      condition: conditionObject(condition), customPartitionKey, populateIndexFields, _version,
    });
  },
  remove({ key, condition, customPartitionKey, populateIndexFields, _version }) {
    return withOptional({ operation: "DeleteItem", key: toMapValues(key) }, {
      condition: conditionObject(condition), customPartitionKey, populateIndexFields, _version,
    });
  },
  update({ key, update, condition, customPartitionKey, populateIndexFields, _version }) {
    return withOptional({ operation: "UpdateItem", key: toMapValues(key), update: updateExpression(update) }, {
      condition: conditionObject(condition), customPartitionKey, populateIndexFields, _version,
    });
  },
  query({ query, filter, index, limit, nextToken, consistentRead, scanIndexForward, select, projection }) {
    return withOptional({ operation: "Query", query: keyConditionExpression(query) }, {
      filter: conditionObject(filter), index, limit, nextToken, consistentRead, scanIndexForward, select,
      projection: projectionObject(projection),
    });
  },
  scan({ filter, index, limit, nextToken, consistentRead, segment, totalSegments, select, projection }) {
    return withOptional({ operation: "Scan" }, {
      filter: conditionObject(filter), index, limit, nextToken, consistentRead, segment, totalSegments, select,
      projection: projectionObject(projection),
    });
  },
  batchGet({ tables }) {
    const out = {};
    for (const [table, { keys, consistentRead, projection }] of Object.entries(tables)) {
      out[table] = withOptional({ keys: keys.map(toMapValues) }, { consistentRead, projection: projectionObject(projection) });
    }
    return { operation: "BatchGetItem", tables: out };
  },
  batchPut({ tables }) {
    const out = {};
    for (const [table, items] of Object.entries(tables)) out[table] = items.map(toMapValues);
    return { operation: "BatchPutItem", tables: out };
  },
  batchDelete({ tables }) {
    const out = {};
    for (const [table, keys] of Object.entries(tables)) out[table] = keys.map(toMapValues);
    return { operation: "BatchDeleteItem", tables: out };
  },
  transactGet({ items }) {
    return {
      operation: "TransactGetItems",
      transactItems: items.map(({ table, key, projection }) =>
        withOptional({ table, key: toMapValues(key) }, { projection: projectionObject(projection) })),
    };
  },
  transactWrite({ items }) {
    const transactItems = items.map((item) => {
      if (item.putItem) {
        const { table, key, item: values, condition } = item.putItem;
        return withOptional({ table, operation: "PutItem", key: toMapValues(key), attributeValues: toMapValues(values) },
          { condition: conditionObject(condition) });
      }
      if (item.updateItem) {
        const { table, key, update, condition } = item.updateItem;
        return withOptional({ table, operation: "UpdateItem", key: toMapValues(key), update: updateExpression(update) },
          { condition: conditionObject(condition) });
      }
      if (item.deleteItem) {
        const { table, key, condition } = item.deleteItem;
        return withOptional({ table, operation: "DeleteItem", key: toMapValues(key) }, { condition: conditionObject(condition) });
      }
      const { table, key, condition } = item.conditionCheck;
      return { table, operation: "ConditionCheck", key: toMapValues(key), condition: conditionObject(condition) };
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
    "@aws-appsync/utils": { util, runtime, extensions: {} },
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
      } else if (error instanceof Unauthorized) {
        outcome = { kind: "unauthorized" };
      } else {
        outcome = { kind: "crash", message: `${error?.name ?? "Error"}: ${error?.message ?? error}`, stack: error?.stack ?? "" };
      }
    }
  }
  outcome.stash = ctx.stash;
  outcome.appendedErrors = appendedErrors;
  return JSON.stringify(outcome);
};
