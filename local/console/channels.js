// Each channel's state (GET /local/channels), and an operator's pause or resume (POST /local/channels).
import { local } from './api.js';
import { h, when } from './dom.js';

const rows = document.getElementById('channels-rows');
const status = document.getElementById('channels-status');
const summary = document.getElementById('channel-summary');

export async function refresh() {
  try {
    show((await local('channels')).channels);
  } catch (failure) {
    status.textContent = failure.message;
  }
}

async function act(action, channel, reason) {
  status.textContent = '';
  try {
    show((await local('channels', { action, channel, ...(reason ? { reason } : {}) })).channels);
    status.textContent = `${channel} ${action === 'pause' ? 'paused' : 'resumed'}.`;
  } catch (failure) {
    status.textContent = failure.message;
  }
}

function show(channels) {
  const names = Object.keys(channels).sort();
  summary.replaceChildren(...names.map((name) => h('span', { class: channels[name].paused ? 'paused' : 'active' }, `${name} ${channels[name].paused ? 'paused' : 'active'}`)));
  rows.replaceChildren(...names.map((name) => row(name, channels[name])));
}

function row(name, state) {
  const reason = h('input', { id: `reason-${name}`, name: 'reason', placeholder: 'why (optional)', maxlength: '200' });
  const form = h('form', {
    class: 'channel-action',
    onsubmit: (event) => {
      event.preventDefault();
      act(state.paused ? 'resume' : 'pause', name, reason.value.trim());
    },
  },
  h('label', { for: `reason-${name}`, class: 'visually-hidden' }, `Reason to ${state.paused ? 'resume' : 'pause'} ${name}`),
  reason,
  h('button', { type: 'submit' }, `${state.paused ? 'Resume' : 'Pause'} ${name}`));
  return h('tr', { 'data-channel': name },
    h('th', { scope: 'row' }, name),
    h('td', {}, h('span', { class: `badge ${state.paused ? 'status-failed' : 'status-delivered'}` }, state.paused ? 'paused' : 'active')),
    h('td', {}, state.paused ? [state.reason, ' · ', when(state.since)] : '—'),
    h('td', {}, form));
}
