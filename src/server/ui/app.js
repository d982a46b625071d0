// The single page: finds who the user is, routes `#/...` to a page, keeps the navigation
// current, and shows errors in the API's words.

import { api, setCsrf, ApiError } from './api.js';
import { h } from './dom.js';
import * as pages from './pages.js';

const routes = [
  [/^\/login$/, pages.login, []],
  [/^\/(?:datasets)?$/, pages.datasets, []],
  [/^\/datasets\/([^/]+)$/, pages.dataset, ['name']],
  [/^\/datasets\/([^/]+)\/versions\/([^/]+)$/, pages.version, ['name', 'version']],
  [/^\/datasets\/([^/]+)\/compare$/, pages.compare, ['name']],
  [/^\/upload$/, pages.upload, []],
  [/^\/events$/, pages.events, []],
  [/^\/verify$/, pages.verify, []],
];

let leaving = [];

const ctx = {
  session: null,
  setSession(session) {
    ctx.session = session;
    showWho();
  },
  onLeave(fn) {
    leaving.push(fn);
  },
  flash(text) {
    const banner = document.getElementById('banner');
    banner.className = 'banner success';
    banner.textContent = text;
    banner.hidden = false;
  },
  rerender() {
    render(true);
  },
};

function showWho() {
  const who = document.getElementById('who');
  who.replaceChildren();
  const s = ctx.session;
  if (!s) return;
  who.append(h('span', {}, 'Signed in as ', h('strong', { id: 'who-name' }, s.user), ` (${s.role})`));
  if (s.mode === 'local') {
    who.append(h('span', { class: 'muted' }, ' · local mode'));
  } else {
    who.append(' ', h('button', {
      type: 'button', class: 'link',
      onclick: async () => {
        await api('/api/logout', { method: 'POST' }).catch(() => {});
        ctx.setSession(null);
        setCsrf(null);
        location.hash = '#/login';
      },
    }, 'Log out'));
  }
}

function currentNav(route) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    const here = route.startsWith(`/${a.dataset.nav}`) || (a.dataset.nav === 'datasets' && route === '/');
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function render(keepBanner = false) {
  for (const fn of leaving) fn();
  leaving = [];
  const main = document.getElementById('main');
  const banner = document.getElementById('banner');
  if (!keepBanner) banner.hidden = true;
  const raw = location.hash.replace(/^#/, '') || '/';
  const [route, queryText] = raw.split('?');
  const query = new URLSearchParams(queryText || '');
  if (!ctx.session && route !== '/login') {
    location.hash = '#/login';
    return;
  }
  if (ctx.session && route === '/login') {
    location.hash = '#/datasets';
    return;
  }
  currentNav(route);
  document.getElementById('nav').hidden = !ctx.session;
  for (const [pattern, page, names] of routes) {
    const match = pattern.exec(route);
    if (!match) continue;
    const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1])]));
    main.replaceChildren();
    try {
      await page(main, params, ctx, query);
      document.title = `${main.querySelector('h1')?.textContent || 'strata'} · strata`;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        ctx.setSession(null);
        location.hash = '#/login';
        return;
      }
      main.replaceChildren(h('h1', { tabindex: '-1' }, 'Something went wrong'),
        h('div', { class: 'error', role: 'alert' }, h('strong', {}, `${e.kind || 'error'}: `), e.message));
    }
    const title = main.querySelector('h1');
    if (title && route !== '/login') title.focus();
    return;
  }
  main.replaceChildren(h('h1', { tabindex: '-1' }, 'No such page'), h('p', {}, h('a', { href: '#/datasets' }, 'Datasets')));
}

async function start() {
  try {
    const session = await api('/api/session');
    setCsrf(session.csrf_token);
    ctx.setSession(session);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) {
      document.getElementById('main').replaceChildren(h('div', { class: 'error', role: 'alert' }, e.message));
      return;
    }
  }
  window.addEventListener('hashchange', () => render());
  render();
}

start();
