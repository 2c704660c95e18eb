// A recipient's or a sender's history through the real getMessages and its paging; each message's status
// timeline, and buttons that play a provider's report through POST /local/events.
import { config, graphql, local } from './api.js';
import { h, when, statusBadge } from './dom.js';

const form = document.getElementById('history-form');
const list = document.getElementById('history-list');
const more = document.getElementById('history-more');
const status = document.getElementById('history-status');

// What is shown: the filter, the page size, how many messages are wanted, and those read.
let shown = null;
// Each read starts again from the first page; only the latest read's answer is shown.
let reads = 0;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const value = data.get('value').trim();
  if (value) location.hash = `messages?${new URLSearchParams({ [data.get('by')]: value, first: data.get('first') })}`;
});
more.addEventListener('click', () => {
  shown.wanted = shown.messages.length + shown.first;
  read();
});

// Called by the router with the query of #messages?to=... or #messages?senderId=...
export function open(params) {
  const by = params.has('senderId') ? 'senderId' : 'to';
  const value = params.get(by);
  if (!value) return;
  form.elements.by.value = by;
  form.elements.value.value = value;
  const first = Math.min(100, Math.max(1, Number(params.get('first')) || Number(form.elements.first.value) || 10));
  form.elements.first.value = first;
  if (shown && shown.filter[by] === value && shown.first === first) return;
  shown = { filter: { [by]: value }, first, wanted: first, messages: [], hasNextPage: false };
  list.replaceChildren();
  status.textContent = 'Reading…';
  read();
}

// Read again (after a report, a send, any write): as many messages as are shown, a page at a time.
export function refresh() {
  if (shown) read();
}

// The other key's messages are not this one's: nothing of them stays on screen while its own are read.
export function modeChanged() {
  if (!shown) return;
  shown.messages = [];
  list.replaceChildren();
  more.hidden = true;
  status.textContent = 'Reading…';
  read();
}

async function read() {
  const mine = ++reads;
  const { filter, first, wanted } = shown;
  const messages = [];
  let pageInfo = { hasNextPage: true, endCursor: null };
  while (pageInfo.hasNextPage && messages.length < wanted) {
    const { data, errors } = await graphql(config.operations.getMessages, { filter, first, after: pageInfo.endCursor });
    if (mine !== reads) return;
    if (errors.length) {
      status.textContent = errors.map((error) => error.message).join('; ');
      list.replaceChildren();
      more.hidden = true;
      return;
    }
    messages.push(...data.getMessages.data);
    pageInfo = data.getMessages.pageInfo;
  }
  Object.assign(shown, { messages, hasNextPage: pageInfo.hasNextPage });
  render();
}

function render() {
  const { filter, messages, hasNextPage } = shown;
  const [[by, value]] = Object.entries(filter);
  status.textContent = `${messages.length} ${messages.length === 1 ? 'message' : 'messages'} ${by === 'to' ? 'to' : 'from sender'} ${value}${hasNextPage ? ', more to load' : ''}`;
  // Re-rendering replaces the buttons: keep the keyboard's place on the one that was focused.
  const focused = document.activeElement;
  const place = list.contains(focused) && focused.matches('button.event') ? [focused.closest('li.message').dataset.id, focused.textContent] : null;
  list.replaceChildren(...messages.map(card));
  more.hidden = !hasNextPage;
  if (place) {
    const again = [...list.querySelectorAll('li.message')].find((item) => item.dataset.id === place[0]);
    [...(again?.querySelectorAll('button.event') ?? [])].find((button) => button.textContent === place[1])?.focus();
  }
}

function card(message) {
  const error = h('p', { class: 'field-error', role: 'alert' });
  const buttons = config.events[message.deliveryMethod].map((event) =>
    h('button', { type: 'button', class: 'event', onclick: () => play(message, event, error) }, event));
  return h('li', { class: 'message', 'data-id': message.id },
    h('div', { class: 'message-head' },
      h('span', { class: `channel channel-${message.deliveryMethod.toLowerCase()}` }, message.deliveryMethod === 'EMAIL' ? 'Email' : 'SMS'),
      statusBadge(message.deliveryStatus),
      h('code', { class: 'message-id' }, message.id)),
    h('dl', { class: 'headers compact' },
      h('dt', {}, 'To'), h('dd', {}, message.to),
      h('dt', {}, 'From'), h('dd', {}, message.from ?? '(default)'),
      message.subject && [h('dt', {}, 'Subject'), h('dd', {}, message.subject)],
      message.senderId && [h('dt', {}, 'Sender id'), h('dd', {}, message.senderId)],
      h('dt', {}, 'Body'), h('dd', { class: 'body' }, message.body)),
    h('ol', { class: 'timeline', 'aria-label': 'Status history' },
      message.statusHistory.map((change) => h('li', { 'data-status': change.status },
        statusBadge(change.status), ' ', when(change.at), h('span', { class: 'reason' }, change.reason)))),
    h('div', { class: 'events', role: 'group', 'aria-label': 'Play a provider report' },
      h('span', { class: 'events-label' }, 'Play:'), buttons),
    error);
}

async function play(message, event, error) {
  error.textContent = '';
  try {
    await local('events', { to: message.to, messageId: message.id, event });
    refresh();
  } catch (failure) {
    error.textContent = `${event}: ${failure.message}`;
  }
}
