// The outbox: every email and SMS SES and SNS accepted, as GET /local/stream hands them over.
import { h, when } from './dom.js';

const list = document.getElementById('outbox-list');
const detail = document.getElementById('outbox-detail');
const empty = document.getElementById('outbox-empty');
let selected = null;

export function add(entry, id) {
  empty.hidden = true;
  const item = h('li', {}, h('button', { type: 'button', class: 'outbox-item', 'data-id': id, onclick: () => select(entry, item) },
    h('span', { class: `channel channel-${entry.channel.toLowerCase()}` }, entry.channel === 'EMAIL' ? 'Email' : 'SMS'),
    h('span', { class: 'outbox-to' }, recipient(entry)),
    h('span', { class: 'outbox-summary' }, entry.channel === 'EMAIL' ? entry.subject : entry.body),
    when(entry.sentAt)));
  list.prepend(item);
  if (selected === null) select(entry, item);
}

export function clear() {
  list.replaceChildren();
  detail.replaceChildren(empty);
  empty.hidden = false;
  selected = null;
}

function recipient(entry) {
  return Array.isArray(entry.to) ? entry.to.join(', ') : entry.to;
}

function select(entry, item) {
  selected?.querySelector('button').removeAttribute('aria-current');
  selected = item;
  item.querySelector('button').setAttribute('aria-current', 'true');
  detail.replaceChildren(entry.channel === 'EMAIL' ? email(entry) : sms(entry));
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
