// The send form: the real sendMessage, and its answer or its validation error shown against the field.
import { config, graphql } from './api.js';
import { h, statusBadge } from './dom.js';

const form = document.getElementById('send-form');
const result = document.getElementById('send-result');
const count = document.getElementById('send-body-count');
const OPTIONAL = ['from', 'subject', 'senderId', 'recipientId', 'idempotencyKey'];

document.getElementById('simulator-list').textContent = config.simulatorAddresses.join(', ');
document.getElementById('simulator-addresses').append(...config.simulatorAddresses.map((address) => h('option', { value: address })));

function channel() {
  return form.elements.deliveryMethod.value;
}

// The From suggestions and the subject follow the channel.
function channelChanged() {
  const email = channel() === 'EMAIL';
  document.getElementById('senders').replaceChildren(...(email ? config.emailSenders : config.smsSenderIds).map((value) => h('option', { value })));
  for (const field of form.querySelectorAll('[data-email-only]')) field.hidden = !email;
  document.getElementById('send-to').placeholder = email ? 'alice@example.com' : '+14155550100';
  bodyChanged();
}

function bodyChanged() {
  const body = form.elements.body.value;
  count.textContent = channel() === 'SMS' ? `${body.length} of 1,600 characters` : '';
}

for (const radio of form.elements.deliveryMethod) radio.addEventListener('change', channelChanged);
form.elements.body.addEventListener('input', bodyChanged);
channelChanged();

function clearErrors() {
  for (const field of form.querySelectorAll('[data-field]')) {
    field.classList.remove('invalid');
    field.querySelector('input, textarea').removeAttribute('aria-invalid');
    field.querySelector('.field-error').textContent = '';
  }
}

// A ValidationError names its field (errorInfo.field, e.g. "input.to"): show it there and go to it.
function showFieldError(error) {
  const name = error.errorInfo?.field?.replace(/^input\./, '');
  const field = name && form.querySelector(`[data-field="${name}"]`);
  if (!field) return false;
  field.closest('details')?.setAttribute('open', '');
  field.classList.add('invalid');
  const control = field.querySelector('input, textarea');
  control.setAttribute('aria-invalid', 'true');
  field.querySelector('.field-error').textContent = `${error.message} (rule: ${error.errorInfo.rule})`;
  control.focus();
  return true;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearErrors();
  const input = { deliveryMethod: channel(), to: form.elements.to.value, body: form.elements.body.value };
  for (const name of OPTIONAL) {
    const value = form.elements[name].value;
    if (value !== '' && !(name === 'subject' && channel() === 'SMS')) input[name] = value;
  }
  result.replaceChildren(h('p', {}, 'Sending…'));
  const { data, errors } = await graphql(config.operations.sendMessage, { input });
  const shownAgainstField = errors.filter((error) => error.errorType === 'ValidationError' && showFieldError(error));
  const others = errors.filter((error) => !shownAgainstField.includes(error));
  result.replaceChildren(
    ...(data?.sendMessage ? [sent(data.sendMessage)] : []),
    ...(shownAgainstField.length ? [h('p', { class: 'error' }, 'Not sent: see the marked field.')] : []),
    ...others.map((error) => h('p', { class: 'error' }, h('strong', {}, error.errorType ?? 'Error'), `: ${error.message}`)));
});

function sent(message) {
  return h('div', { class: 'sent' },
    h('p', {}, statusBadge(message.deliveryStatus), ' ', h('code', { class: 'message-id' }, message.id)),
    message.statusReason && h('p', { class: 'reason' }, message.statusReason),
    h('p', {}, 'To ', message.to, ' · ', h('a', { href: `#messages?to=${encodeURIComponent(message.to)}` }, 'Status history'), ' · ', h('a', { href: '#outbox' }, 'Outbox')));
}
