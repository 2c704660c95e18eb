// The local client's webhook endpoints through the real webhook fields, with the key of the mode the header's
// switch chooses (LIVE and TEST each have their own): create one (its signing secret shown once), rotate its
// secret, delete it; and, for the endpoint chosen, the events sent to it, each with its attempts (newest first),
// kept live as the sender works, each replayable.
import { config, graphql } from './api.js';
import { h, when } from './dom.js';

const form = document.getElementById('webhook-form');
const statuses = document.getElementById('webhook-statuses');
const secretBox = document.getElementById('webhook-secret');
const rows = document.getElementById('webhooks-rows');
const status = document.getElementById('webhooks-status');
const detail = document.getElementById('webhook-detail');
const eventsTitle = document.getElementById('webhook-events-title');
const eventsStatus = document.getElementById('webhook-events-status');
const eventsList = document.getElementById('webhook-events');

// The newest attempts read for the chosen endpoint: two pages of 100.
const ATTEMPT_PAGES = 2;
const PAGE_SIZE = 100;
// An attempt's outcome as a badge, in the colours a message's status has.
const OUTCOME_CLASSES = { delivered: 'status-delivered', queued: 'status-accepted', failed: 'status-delayed', refused: 'status-failed', gaveUp: 'status-failed' };

let opened = false;
let chosen = null;
// Reads and actions overlap (the live stream asks again after every write): only the latest read is shown.
let reads = 0;

statuses.append(...config.webhookStatuses.map((name) =>
  h('label', {}, h('input', { type: 'checkbox', name: 'events', value: name, checked: true }), ` ${name}`)));

// The other key's endpoints are another caller's: nothing of this one's stays on the page.
export function modeChanged() {
  chosen = null;
  secretBox.replaceChildren();
  refresh();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const events = data.getAll('events');
  const input = { url: data.get('url').trim(), events: events.length === config.webhookStatuses.length ? null : events };
  const created = await act('createWebhook', { input });
  if (created) {
    showSecret('Created', created.createWebhook);
    chosen = created.createWebhook.webhook.id;
    refresh();
  }
});

// Called by the router when the view is opened.
export function open() {
  opened = true;
  refresh();
}

// Read again (after any write to the table): the endpoints, and the chosen one's attempts.
export async function refresh() {
  if (!opened) return;
  const mine = ++reads;
  const { data, errors } = await graphql(config.operations.webhooks, {});
  if (mine !== reads) return;
  if (errors.length) {
    status.textContent = errors.map((error) => error.message).join('; ');
    return;
  }
  const endpoints = data.webhooks;
  if (!endpoints.some((endpoint) => endpoint.id === chosen)) chosen = endpoints[0]?.id ?? null;
  const attempts = chosen ? await readAttempts(chosen, mine) : [];
  if (mine !== reads || attempts === null) return;
  const place = focusedPlace();
  status.textContent = `${endpoints.length} ${endpoints.length === 1 ? 'endpoint' : 'endpoints'}`;
  rows.replaceChildren(...endpoints.map(row));
  render(endpoints.find((endpoint) => endpoint.id === chosen), attempts);
  if (place) restoreFocus(place);
}

// Re-rendering replaces the buttons: keep the keyboard's place on the one that was focused (by its row's endpoint
// or card's event, and its text).
function focusedPlace() {
  const focused = document.activeElement;
  const holder = focused?.matches('button') ? focused.closest('[data-webhook], [data-event]') : null;
  if (!holder || !(rows.contains(holder) || eventsList.contains(holder))) return null;
  return { selector: holder.dataset.webhook ? `[data-webhook="${holder.dataset.webhook}"]` : `[data-event="${holder.dataset.event}"]`, text: focused.textContent };
}

function restoreFocus(place) {
  const holder = document.querySelector(`#view-webhooks ${place.selector}`);
  [...(holder?.querySelectorAll('button') ?? [])].find((button) => button.textContent === place.text)?.focus();
}

async function readAttempts(webhookId, mine) {
  const attempts = [];
  let pageInfo = { hasNextPage: true, endCursor: null };
  for (let page = 0; page < ATTEMPT_PAGES && pageInfo.hasNextPage; page += 1) {
    const { data, errors } = await graphql(config.operations.webhookAttempts, { webhookId, first: PAGE_SIZE, after: pageInfo.endCursor });
    if (mine !== reads) return null;
    if (errors.length) {
      eventsStatus.textContent = errors.map((error) => error.message).join('; ');
      return null;
    }
    attempts.push(...data.webhookAttempts.data);
    pageInfo = data.webhookAttempts.pageInfo;
  }
  return attempts;
}

// A mutation as the chosen caller; its data, or null once its errors are shown.
async function act(name, variables) {
  status.textContent = '';
  const { data, errors } = await graphql(config.operations[name], variables);
  if (errors.length) {
    status.textContent = errors.map((error) => error.message).join('; ');
    return null;
  }
  return data;
}

function showSecret(what, created) {
  secretBox.replaceChildren(h('div', { class: 'secret', role: 'status' },
    h('p', {}, `${what} `, h('code', {}, created.webhook.id), '. Its signing secret, shown this once: verify each delivery\'s webhook-signature with it.'),
    h('code', { class: 'secret-value' }, created.secret)));
}

function row(endpoint) {
  const current = endpoint.id === chosen;
  return h('tr', { 'data-webhook': endpoint.id, class: current ? 'chosen' : null },
    h('td', {}, h('button', { type: 'button', class: 'link', 'aria-pressed': String(current), onclick: () => { chosen = endpoint.id; refresh(); } }, endpoint.id)),
    h('td', { class: 'url' }, endpoint.url),
    h('td', {}, endpoint.events.length === config.webhookStatuses.length ? 'every status' : endpoint.events.join(', ')),
    h('td', {}, when(endpoint.createdAt)),
    h('td', {}, endpoint.disabledAt ? [h('span', { class: 'badge status-failed' }, 'disabled'), ' ', when(endpoint.disabledAt)] : h('span', { class: 'badge status-delivered' }, 'active')),
    h('td', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => rotate(endpoint) }, 'Rotate secret'),
      h('button', { type: 'button', class: 'secondary', onclick: () => remove(endpoint) }, 'Delete')));
}

async function rotate(endpoint) {
  const rotated = await act('rotateWebhookSecret', { id: endpoint.id });
  if (rotated) showSecret('Rotated the secret of', rotated.rotateWebhookSecret);
}

async function remove(endpoint) {
  if (await act('deleteWebhook', { id: endpoint.id })) {
    status.textContent = `Deleted ${endpoint.id}.`;
    refresh();
  }
}

// The attempts (newest first) by event: an event's newest attempt decides its place and its badge.
function render(endpoint, attempts) {
  detail.hidden = !endpoint;
  if (!endpoint) return;
  eventsTitle.textContent = `Events sent to ${endpoint.url}`;
  const events = new Map();
  for (const attempt of attempts) {
    if (!events.has(attempt.eventId)) events.set(attempt.eventId, []);
    events.get(attempt.eventId).push(attempt);
  }
  eventsStatus.textContent = attempts.length
    ? `${events.size} ${events.size === 1 ? 'event' : 'events'}, ${attempts.length} ${attempts.length === 1 ? 'attempt' : 'attempts'}${attempts.length === ATTEMPT_PAGES * PAGE_SIZE ? ' (the newest)' : ''}`
    : 'Nothing sent yet: its client\'s status changes come here as they happen.';
  eventsList.replaceChildren(...[...events].map(([eventId, tries]) => eventCard(endpoint, eventId, tries)));
}

function outcomeBadge(outcome) {
  return h('span', { class: `badge ${OUTCOME_CLASSES[outcome] ?? ''}` }, outcome);
}

function eventCard(endpoint, eventId, tries) {
  const error = h('p', { class: 'field-error', role: 'alert' });
  const replay = h('button', {
    type: 'button',
    class: 'event',
    disabled: Boolean(endpoint.disabledAt),
    onclick: async () => {
      error.textContent = '';
      const { errors } = await graphql(config.operations.replayWebhookEvent, { webhookId: endpoint.id, eventId });
      if (errors.length) error.textContent = errors.map((failure) => failure.message).join('; ');
      else refresh();
    },
  }, 'Replay');
  return h('li', { class: 'message webhook-event', 'data-event': eventId },
    h('div', { class: 'message-head' },
      outcomeBadge(tries[0].outcome),
      h('code', { class: 'message-id' }, eventId),
      h('span', { class: 'attempt-count' }, `${tries.length} ${tries.length === 1 ? 'attempt' : 'attempts'}`),
      replay),
    h('ol', { class: 'timeline', 'aria-label': `Attempts of ${eventId}` },
      tries.map((attempt) => h('li', { 'data-outcome': attempt.outcome },
        `#${attempt.attempt} `, outcomeBadge(attempt.outcome), ' ',
        attempt.statusCode === null ? '' : `HTTP ${attempt.statusCode} · `,
        attempt.durationMs === null ? '' : `${attempt.durationMs} ms · `,
        when(attempt.at),
        attempt.error ? h('span', { class: 'reason' }, attempt.error) : null))),
    error);
}
