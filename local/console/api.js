// The console's only ways out: the GraphQL API, as the local client with its LIVE or TEST key, and the stack's
// /local tools, with the API key. The stack gave the page all three.

const meta = document.querySelector('meta[name="console-config"]');
export const config = JSON.parse(meta.content);

const headers = { 'content-type': 'application/json', 'x-api-key': config.apiKey };
const MODE_STORAGE = 'serverless-messenger-console-mode';

// LIVE or TEST: which of the local client's keys the console calls the API with (kept across reloads).
export function keyMode() {
  return sessionStorage.getItem(MODE_STORAGE) === 'TEST' ? 'TEST' : 'LIVE';
}

export function setKeyMode(mode) {
  sessionStorage.setItem(MODE_STORAGE, mode === 'TEST' ? 'TEST' : 'LIVE');
}

// The headers a GraphQL request carries: the key of the mode chosen, as a client sends it.
export function apiHeaders() {
  return { 'content-type': 'application/json', authorization: config.clientKeys[keyMode()] };
}

// POST /graphql, as any client does. Resolves to {data, errors}; rejects only when the stack cannot be reached.
export async function graphql(query, variables) {
  const reply = await fetch('/graphql', { method: 'POST', headers: apiHeaders(), body: JSON.stringify({ query, variables }) });
  const body = await reply.json();
  return { data: body.data ?? null, errors: body.errors ?? [] };
}

// A /local tool: GET without a body, POST with one, or the method given. Rejects with the tool's own message on an
// error status.
export async function local(path, body, method = body === undefined ? 'GET' : 'POST') {
  const init = body === undefined ? { method, headers } : { method, headers, body: JSON.stringify(body) };
  const reply = await fetch(`/local/${path}`, init);
  const answer = await reply.json();
  if (!reply.ok) throw new Error(answer.errors?.[0]?.message ?? `${reply.status} ${reply.statusText}`);
  return answer;
}

// GET /local/stream: server-sent events, read with fetch() because EventSource cannot send the key as a header.
// Calls onEvent(name, data, id) for each event; reconnects after a second if the stream ends, resuming after the
// last outbox entry seen. onState('live' | 'reconnecting') tells the page.
export async function follow(onEvent, onState) {
  let seen = 0;
  for (;;) {
    try {
      const reply = await fetch(`/local/stream?after=${seen}`, { headers: { 'x-api-key': config.apiKey } });
      if (!reply.ok) throw new Error(`${reply.status}`);
      onState('live');
      const reader = reply.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.data === undefined) continue;
          if (event.name === 'outbox') seen = Number(event.id);
          onEvent(event.name, JSON.parse(event.data), event.id);
        }
      }
    } catch {
      // The stack stopped or restarted: try again below.
    }
    onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function parseEvent(block) {
  const event = { name: 'message' };
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue; // a comment: the stream is alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event.name = value;
    else if (field === 'id') event.id = value;
    else if (field === 'data') event.data = event.data === undefined ? value : `${event.data}\n${value}`;
  }
  return event;
}
