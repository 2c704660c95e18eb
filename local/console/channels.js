// Each channel's state (GET /local/channels), and an operator's pause or resume (POST /local/channels).
import { local } from './api.js';
import { h, when } from './dom.js';

const rows = document.getElementById('channels-rows');
const status = document.getElementById('channels-status');
const summary = document.getElementById('channel-summary');

// Reads and actions overlap (the live stream asks again after every write): only the latest one started is shown.
let asked = 0;

export async function refresh() {
  const mine = ++asked;
  try {
    const { channels } = await local('channels');
    if (mine === asked) show(channels);
  } catch (failure) {
    status.textContent = failure.message;
  }
}

async function act(action, channel, reason) {
  status.textContent = '';
  const mine = ++asked;
  try {
    const { channels } = await local('channels', { action, channel, ...(reason ? { reason } : {}) });
    if (mine === asked) show(channels);
    status.textContent = `${channel} ${action === 'pause' ? 'paused' : 'resumed'}.`;
  } catch (failure) {
    status.textContent = failure.message;
  }
}

function show(channels) {
  const names = Object.keys(channels).sort();
  summary.replaceChildren(...names.map((name) => h('span', { class: channels[name].paused ? 'paused' : 'active' }, `${name} ${channels[name].paused ? 'paused' : 'active'}`)));
  // A channel whose state did not change keeps its row, so a live refresh never drops a reason being typed
  // (nor the focus); only changed rows are replaced.
  const current = [...rows.children];
  const wanted = names.map((name) => {
    const key = JSON.stringify([name, channels[name]]);
    return current.find((tr) => tr.dataset.key === key) ?? row(name, channels[name], key);
  });
  if (wanted.length !== current.length) rows.replaceChildren(...wanted);
  else wanted.forEach((tr, index) => tr !== current[index] && current[index].replaceWith(tr));
}

function row(name, state, key) {
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
  return h('tr', { 'data-channel': name, 'data-key': key },
    h('th', { scope: 'row' }, name),
    h('td', {}, h('span', { class: `badge ${state.paused ? 'status-failed' : 'status-delivered'}` }, state.paused ? 'paused' : 'active')),
    h('td', {}, state.paused ? [state.reason, ' · ', when(state.since)] : '—'),
    h('td', {}, form));
}
