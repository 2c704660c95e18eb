// GraphiQL (its UMD build, on React 18's), loaded from the stack the first time the explorer is opened.
import { apiHeaders, config } from './api.js';

const SCRIPTS = ['/vendor/react.js', '/vendor/react-dom.js', '/vendor/graphiql.js'];
let mounted = null;

function load(src) {
  return new Promise((resolve, reject) => {
    document.head.append(Object.assign(document.createElement('script'), { src, onload: resolve, onerror: () => reject(new Error(`cannot load ${src}`)) }));
  });
}

export function open() {
  mounted ??= mount();
  return mounted;
}

async function mount() {
  const status = document.getElementById('explorer-status');
  try {
    document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/vendor/graphiql.css' }));
    for (const src of SCRIPTS) await load(src); // in order: each needs the one before
    const { React, ReactDOM, GraphiQL } = window;
    // The headers are read at each request, so the explorer follows the LIVE/TEST switch.
    const fetcher = async (request) => {
      const reply = await fetch('/graphql', { method: 'POST', headers: apiHeaders(), body: JSON.stringify(request) });
      return reply.json();
    };
    const variables = (value) => JSON.stringify(value, null, 2);
    const defaultTabs = [
      { query: config.operations.getMessages, variables: variables({ filter: { to: 'alice@example.com' }, first: 10, after: null }) },
      { query: config.operations.sendMessage, variables: variables({ input: { to: 'success@simulator.amazonses.com', subject: 'Hello', body: 'Hello world', deliveryMethod: 'EMAIL' } }) },
    ];
    // GraphiQL 4 fills the first tab's variables editor only from `variables`, not from defaultTabs.
    const props = { fetcher, defaultTabs, variables: defaultTabs[0].variables, defaultEditorToolsVisibility: 'variables' };
    ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
    status.textContent = '';
    status.hidden = true;
  } catch (failure) {
    status.textContent = `The explorer could not start: ${failure.message}`;
  }
}
