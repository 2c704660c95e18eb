// Building the page from data: elements with text content and attributes, never HTML strings.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name in element && typeof value !== 'string') element[name] = value;
    else element.setAttribute(name, value === true ? '' : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

export function when(iso) {
  const moment = new Date(iso);
  return h('time', { datetime: iso, title: iso }, moment.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' }));
}

export function statusBadge(status) {
  return h('span', { class: `badge status-${status.toLowerCase()}` }, status);
}

// Runs `work` once, `delay` ms after the last of a burst of calls.
export function debounce(work, delay) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(work, delay);
  };
}
