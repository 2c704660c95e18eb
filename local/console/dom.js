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

// A moment as every view shows it: ISO 8601's order in the browser's time zone, on a 24-hour clock
// (2026-06-12 07:56:17), whatever the locale; the exact UTC value as the record holds it in the title.
export function when(iso) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return h('time', {}, String(iso ?? ''));
  const two = (number) => String(number).padStart(2, '0');
  const date = `${moment.getFullYear()}-${two(moment.getMonth() + 1)}-${two(moment.getDate())}`;
  const time = `${two(moment.getHours())}:${two(moment.getMinutes())}:${two(moment.getSeconds())}`;
  return h('time', { datetime: iso, title: iso }, `${date} ${time}`);
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
