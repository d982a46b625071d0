// Building the page: every piece of data goes in as text (textContent), never as markup.

/** An element `tag` with attributes (`on…` are listeners) and children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Appends children (arrays are flattened): nodes as they are, anything else as text. */
export function append(el, ...children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** A time from the API (RFC 3339 UTC) as `YYYY-MM-DD HH:MM:SS UTC`. */
export function time(text) {
  if (!text) return '';
  return h('time', { datetime: text }, text.replace('T', ' ').slice(0, 19) + ' UTC');
}

/** The first 12 hex digits of a hash, with the whole hash as its title. */
export function short(hash) {
  return h('code', { class: 'hash', title: hash }, hash.slice(0, 12));
}

/** `#/datasets/NAME/...` with every part encoded. */
export function link(...parts) {
  return '#/' + parts.map((p) => encodeURIComponent(String(p))).join('/');
}

/** A table with a header row and body rows (arrays of cells). */
export function table(caption, headers, rows, attrs = {}) {
  return h('div', { class: 'table-wrap' },
    h('table', attrs,
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, headers.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => (r instanceof Node ? r : h('tr', {}, r.map((c) => h('td', {}, c))))))));
}

/** Says something to screen readers. */
export function announce(text) {
  const region = document.getElementById('announce');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}

/** A count with its noun: `1 row`, `3 rows`. */
export function count(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
