// The outbox: every email and SMS SES and SNS accepted, as GET /local/stream hands them over, newest first. Each
// row shows its record's current delivery status (GET /local/outbox/statuses: all of them once, then whenever the
// table is written those written since); a search narrows the list as it is typed; DELETE /local/outbox clears it
// (the records stay).
import { local } from './api.js';
import { h, statusBadge, when } from './dom.js';

const list = document.getElementById('outbox-list');
const detail = document.getElementById('outbox-detail');
const empty = document.getElementById('outbox-empty');
const search = document.getElementById('outbox-search');
const noMatch = document.getElementById('outbox-no-match');
const status = document.getElementById('outbox-status');

// The row shown in the detail. Until the developer picks one, the newest is shown, and a new send replaces it.
let selected = null;
let picked = false;
// Each entry's record, by the id SES or SNS gave the send, as last read; and the table's count of writes then.
const statuses = {};
let writesRead = null;
// Counts the stream's connections: after a reconnection the stack may be another one, so everything is read again.
let connection = 0;
// One read at a time: writes reported while one runs are read by one more after it.
let reading = false;
let readAgain = false;
// Each row's outbox entry.
const entries = new WeakMap();
// A burst of entries (the whole outbox, when the page opens) renders the detail once, for the last of them.
let detailDue = false;

search.addEventListener('input', () => {
  for (const item of list.children) filter(item);
  showEmptiness();
});
document.getElementById('outbox-clear').addEventListener('click', async () => {
  say('');
  try {
    // The stream's `reset` then empties the list, in this tab and every other one.
    const { cleared } = await local('outbox', undefined, 'DELETE');
    say(`Cleared ${cleared} ${cleared === 1 ? 'message' : 'messages'} from the outbox; their records stay.`);
  } catch (failure) {
    say(failure.message);
  }
});

// The status line, and what it is about (a failed status read clears itself once a read succeeds).
function say(text, about = '') {
  status.textContent = text;
  status.dataset.about = about;
}

export function add(entry, id) {
  const item = h('li', { 'data-provider-id': entry.providerMessageId ?? '' });
  entries.set(item, entry);
  item.append(h('button', { type: 'button', class: 'outbox-item', 'data-id': id, onclick: () => pick(item) },
    h('span', { class: `channel channel-${entry.channel.toLowerCase()}` }, entry.channel === 'EMAIL' ? 'Email' : 'SMS'),
    h('span', { class: 'outbox-to' }, recipient(entry)),
    h('span', { class: 'outbox-status' }),
    h('span', { class: 'outbox-summary' }, entry.channel === 'EMAIL' ? entry.subject : entry.body),
    when(entry.sentAt)));
  list.prepend(item);
  showStatus(item);
  filter(item);
  if (!picked) select(item);
  showEmptiness();
}

export function clear() {
  list.replaceChildren();
  detail.replaceChildren(empty);
  selected = null;
  picked = false;
  showEmptiness();
}

// Read the records written since the last read (all of them the first time): called whenever the stream reports
// writes, which it does as soon as it connects.
export async function refreshStatuses() {
  if (reading) {
    readAgain = true;
    return;
  }
  reading = true;
  try {
    do {
      readAgain = false;
      const asked = connection;
      const answer = await local(writesRead === null ? 'outbox/statuses' : `outbox/statuses?since=${writesRead}`);
      Object.assign(statuses, answer.statuses);
      if (asked === connection) writesRead = answer.writes;
      for (const item of list.children) showStatus(item);
      if (status.dataset.about === 'statuses') say('');
    } while (readAgain);
  } catch (failure) {
    // The stack is away (the stream says so and reconnects): read everything again once it is back.
    writesRead = null;
    say(`Delivery statuses: ${failure.message}`, 'statuses');
  } finally {
    reading = false;
  }
}

// Called when the stream (re)connects; the table event it sends first then reads every status.
export function connected() {
  connection += 1;
  writesRead = null;
}

function showStatus(item) {
  const record = statuses[item.dataset.providerId];
  const place = item.querySelector('.outbox-status');
  if (record?.deliveryStatus === place.dataset.status) return;
  place.dataset.status = record?.deliveryStatus ?? '';
  place.title = record?.statusReason ?? '';
  place.replaceChildren(...(record?.deliveryStatus ? [statusBadge(record.deliveryStatus)] : []));
}

// Shown when its recipient, subject or body holds what is typed in the search, whatever the case.
function filter(item) {
  const wanted = search.value.trim().toLowerCase();
  const entry = entries.get(item);
  item.hidden = wanted !== '' && ![recipient(entry), entry.subject ?? '', entry.body ?? ''].some((text) => text.toLowerCase().includes(wanted));
}

function showEmptiness() {
  const rows = list.children.length;
  empty.hidden = rows > 0;
  noMatch.hidden = rows === 0 || [...list.children].some((item) => !item.hidden);
  noMatch.textContent = noMatch.hidden ? '' : `No message to, about or saying “${search.value.trim()}”.`;
}

function recipient(entry) {
  return Array.isArray(entry.to) ? entry.to.join(', ') : entry.to;
}

function pick(item) {
  picked = true;
  select(item);
}

function select(item) {
  selected?.querySelector('button').removeAttribute('aria-current');
  selected = item;
  item.querySelector('button').setAttribute('aria-current', 'true');
  if (detailDue) return;
  detailDue = true;
  queueMicrotask(() => {
    detailDue = false;
    if (selected === null) return;
    const entry = entries.get(selected);
    detail.replaceChildren(entry.channel === 'EMAIL' ? email(entry) : sms(entry));
  });
}

function historyLink(to) {
  return h('a', { href: `#messages?to=${encodeURIComponent(to)}` }, 'Status history');
}

function email(entry) {
  const tags = Object.entries(entry.tags ?? {});
  // The HTML part runs in a sandbox with no permissions: no scripts, its own opaque origin, no forms or popups.
  const frame = h('iframe', { class: 'email-html', title: 'The HTML part', sandbox: '' });
  frame.srcdoc = entry.html ?? '';
  return h('div', { class: 'email' },
    h('h3', {}, entry.subject ?? '(no subject)'),
    h('dl', { class: 'headers' },
      h('dt', {}, 'From'), h('dd', {}, entry.from),
      h('dt', {}, 'To'), h('dd', {}, recipient(entry)),
      h('dt', {}, 'Subject'), h('dd', {}, entry.subject ?? ''),
      h('dt', {}, 'Configuration set'), h('dd', {}, entry.configurationSet ?? '(none)'),
      h('dt', {}, 'Tags'), h('dd', {}, tags.length ? h('ul', { class: 'tags' }, tags.map(([name, value]) => h('li', {}, h('code', {}, `${name}=${value}`)))) : '(none)'),
      h('dt', {}, 'Sent'), h('dd', {}, when(entry.sentAt), ' · ', historyLink(recipient(entry)))),
    h('h4', {}, 'HTML part'), entry.html ? frame : h('p', { class: 'empty' }, '(none)'),
    h('h4', {}, 'Text part'), h('pre', { class: 'email-text' }, entry.body ?? '(none)'));
}

function sms(entry) {
  const parts = entry.segments;
  return h('div', { class: 'sms' },
    h('div', { class: 'phone', role: 'group', 'aria-label': 'The SMS as a phone shows it' },
      h('div', { class: 'phone-top' },
        h('span', { class: 'sender-id' }, entry.from ?? '(no sender ID)'),
        h('span', { class: 'number' }, entry.to)),
      h('p', { class: 'bubble' }, entry.body)),
    h('dl', { class: 'headers' },
      h('dt', {}, 'Sender ID'), h('dd', {}, entry.from ?? '(none: the carrier picks one)'),
      h('dt', {}, 'Number'), h('dd', {}, entry.to),
      h('dt', {}, 'Billed as'), h('dd', { class: 'segments' },
        `${parts.count} ${parts.count === 1 ? 'segment' : 'segments'}, ${parts.encoding} (${parts.units} ${parts.encoding === 'GSM-7' ? 'septets' : 'UTF-16 code units'})`),
      h('dt', {}, 'Type'), h('dd', {}, entry.smsType ?? ''),
      h('dt', {}, 'Sent'), h('dd', {}, when(entry.sentAt), ' · ', historyLink(entry.to))));
}
