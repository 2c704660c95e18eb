// The console's views, one per #hash (#outbox, #messages?to=..., #send, #explorer, #channels, #webhooks), and the
// live stream that keeps the outbox, the shown history, the channels and the webhooks' attempts current.
import { follow, keyMode, setKeyMode } from './api.js';
import { debounce } from './dom.js';
import * as channels from './channels.js';
import * as explorer from './explorer.js';
import * as messages from './messages.js';
import * as outbox from './outbox.js';
import * as webhooks from './webhooks.js';
import './send.js';

const VIEWS = ['outbox', 'messages', 'send', 'explorer', 'channels', 'webhooks'];

function route() {
  const [name, query] = location.hash.slice(1).split('?');
  const view = VIEWS.includes(name) ? name : 'outbox';
  for (const section of document.querySelectorAll('section[data-view]')) section.hidden = section.dataset.view !== view;
  for (const link of document.querySelectorAll('nav a')) {
    if (link.hash === `#${view}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.body.dataset.view = view;
  if (view === 'messages') messages.open(new URLSearchParams(query));
  if (view === 'explorer') explorer.open();
  if (view === 'channels') channels.refresh();
  if (view === 'webhooks') webhooks.open();
}

// The local client's LIVE or TEST key: a TEST message is recorded and gets simulated outcomes, but reaches no
// outbox, and each key sees only its own mode's messages.
const modeSwitch = document.getElementById('key-mode');
modeSwitch.value = keyMode();
modeSwitch.addEventListener('change', () => {
  setKeyMode(modeSwitch.value);
  document.body.dataset.keyMode = modeSwitch.value;
  messages.modeChanged();
  webhooks.modeChanged();
});
document.body.dataset.keyMode = keyMode();
// Usable only once its change is handled: a choice made before would be undone by the line above it.
modeSwitch.disabled = false;

window.addEventListener('hashchange', route);
route();
channels.refresh();

const streamState = document.getElementById('stream-state');
// Any write to the table may have moved a shown message, an outbox entry's status, a channel or a webhook's attempts:
// read them again, once per burst.
const tableChanged = debounce(() => {
  messages.refresh();
  outbox.refreshStatuses();
  channels.refresh();
  webhooks.refresh();
}, 150);
follow(
  (name, data, id) => {
    if (name === 'outbox') outbox.add(data, id);
    else if (name === 'table') tableChanged();
    else if (name === 'reset') outbox.clear();
  },
  (state) => {
    if (state === 'live') outbox.connected();
    streamState.textContent = state === 'live' ? 'live' : 'reconnecting…';
    streamState.dataset.state = state;
  },
);
