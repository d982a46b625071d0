// The pages. Each renders into `main` from the API's JSON; every string from the store
// (dataset names, actors, notes, column names) goes in as text.

import { api, path, ApiError, setCsrf } from './api.js';
import { h, append, time, short, link, table, announce, count } from './dom.js';

const canWrite = (ctx) => ctx.session && ['writer', 'admin'].includes(ctx.session.role);

function heading(text, ...extra) {
  return h('h1', { tabindex: '-1' }, text, ...extra);
}

function errorBox(error) {
  const kind = error instanceof ApiError ? error.kind : 'internal';
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, kind === 'refused' ? 'Refused: ' : 'Error: '), error.message);
}

function badge(text, kind = '') {
  return h('span', { class: `badge ${kind}` }, text);
}

function verdictBadge(verdict) {
  return badge(verdict, `verdict-${verdict}`);
}

function downloadLink(dataset, version, tableName) {
  return h('a', {
    class: 'download',
    href: path('datasets', dataset, 'versions', version, 'tables', tableName),
    download: '',
  }, `Download ${tableName}`);
}

/** The drift as the classifier sees it: verdict, then every change. */
function driftView(drift) {
  if (!drift) return h('p', { class: 'muted' }, 'No drift (initial version).');
  const parts = [h('p', {}, 'Verdict: ', verdictBadge(drift.verdict))];
  if (drift.changes.length === 0) parts.push(h('p', { class: 'muted' }, 'No schema change.'));
  else parts.push(h('ul', { class: 'changes' }, drift.changes.map((c) => h('li', {}, c))));
  for (const t of drift.changed_tables) {
    const rows = [
      ...t.added_columns.map((c) => ['added', c.name, c.type, '']),
      ...t.removed_columns.map((c) => ['removed', c.name, c.type, '']),
      ...t.type_changes.map((c) => ['type changed', c.name, `${c.old_type} → ${c.new_type}`, '']),
      ...t.rename_candidates.map((r) => ['possible rename', `${r.from} → ${r.to}`, r.type,
        `${Math.round(r.similarity * 100)}% similar`]),
    ];
    parts.push(table(`Table ${t.table}`, ['Change', 'Column', 'Type', 'Note'], rows));
  }
  return h('div', { class: 'drift' }, parts);
}

// ---------------------------------------------------------------- login

export async function login(main, _params, ctx) {
  const error = h('div');
  const name = h('input', { id: 'login-name', name: 'name', autocomplete: 'username', required: true });
  const password = h('input', {
    id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true,
  });
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', tabindex: '-1' }, 'Log in'),
    h('p', { class: 'muted' }, 'Everything you do is recorded under your name.'),
    h('label', { for: 'login-name' }, 'User name'), name,
    h('label', { for: 'login-password' }, 'Password'), password,
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Log in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.replaceChildren();
    try {
      const session = await api('/api/login', { method: 'POST', json: { name: name.value, password: password.value } });
      setCsrf(session.csrf_token);
      ctx.setSession(session);
      location.hash = '#/datasets';
    } catch (e) {
      error.replaceChildren(errorBox(e));
      password.value = '';
      password.focus();
    }
  });
  append(main, form);
  name.focus();
}

// ---------------------------------------------------------------- datasets

export async function datasets(main) {
  const list = await api('/api/datasets');
  const filter = h('input', { id: 'filter', type: 'search', placeholder: 'name, actor…', autocomplete: 'off' });
  const rows = list.map((d) => {
    const row = h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: link('datasets', d.name) }, d.name)),
      h('td', {}, `v${d.active_version} `, short(d.active_hash)),
      h('td', { class: 'num' }, d.versions),
      h('td', {}, time(d.last_change)),
      h('td', {}, d.last_actor || ''));
    row.dataset.search = `${d.name} ${d.last_actor || ''}`.toLowerCase();
    return row;
  });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, count(list.length, 'dataset'));
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const row of rows) {
      row.hidden = q !== '' && !row.dataset.search.includes(q);
      if (!row.hidden) shown += 1;
    }
    status.textContent = `${shown} of ${count(list.length, 'dataset')}`;
  });
  append(main, 
    heading('Datasets'),
    h('div', { class: 'toolbar' },
      h('label', { for: 'filter' }, 'Filter'), filter,
      h('a', { class: 'button', href: '#/upload' }, 'Upload…')),
    status,
    list.length === 0
      ? h('p', {}, 'No datasets yet. ', h('a', { href: '#/upload' }, 'Upload one.'))
      : table(null, ['Name', 'Active version', 'Versions', 'Last change', 'By'], rows, { id: 'datasets' }));
}

// ---------------------------------------------------------------- a dataset

function eventDetails(e) {
  const d = e.details;
  switch (e.type) {
    case 'upload_created':
      return `version ${d.version} (${count(d.tables.length, 'table')})${d.override_reason ? `; override: ${d.override_reason}` : ''}`;
    case 'version_activated':
      return `version ${d.version} active again (was ${d.from})`;
    case 'rollback':
      return `rolled back from ${d.from} to ${d.to}${d.warnings.length ? `; ${count(d.warnings.length, 'warning')}` : ''}`;
    case 'overwrite_blocked':
      return `refused: ${d.reason}`;
    case 'policy_set':
      return `drift policy set to ${d.policy}${d.widening === 'breaking' ? ' (widening breaking)' : ''}${d.previous ? ` (was ${d.previous.policy})` : ''}`;
    default:
      return '';
  }
}

// Who recorded an event: the actor, and the OS account of the process that recorded it where
// it says more than the actor (as `strata log` shows it; events before encoding 2 have none).
function recordedBy(e) {
  const os = e.os_account;
  if (!os || os.name === e.actor) return e.actor;
  const account = os.name === null ? `uid ${os.uid}` : os.name;
  return [e.actor, ' ', h('span', { class: 'os-account', title: `OS account uid ${os.uid}` }, `(os ${account})`)];
}

export function eventRow(e) {
  return h('tr', { class: `event event-${e.type}`, 'data-seq': e.seq },
    h('td', { class: 'num' }, e.seq),
    h('td', {}, time(e.time)),
    h('td', {}, badge(e.type.replaceAll('_', ' '), `type-${e.type}`)),
    h('td', {}, e.dataset ? h('a', { href: link('datasets', e.dataset) }, e.dataset) : e.dataset_id),
    h('td', {}, recordedBy(e)),
    h('td', {}, eventDetails(e)),
    h('td', {}, e.note));
}

const EVENT_HEADERS = ['#', 'Time', 'Type', 'Dataset', 'Actor', 'What', 'Note'];

function versionItem(name, v, ctx, tablesOf) {
  const actions = h('div', { class: 'actions' },
    h('a', { class: 'button', href: link('datasets', name, 'versions', v.version) }, 'Details'),
    (tablesOf(v.version) || []).map((t) => downloadLink(name, v.version, t)));
  if (!v.active && canWrite(ctx)) {
    actions.append(h('button', {
      type: 'button', class: 'rollback', 'data-version': v.version,
      onclick: () => rollbackDialog(name, v.version, ctx),
    }, `Roll back to v${v.version}`));
  }
  return h('li', { class: v.active ? 'version active' : 'version', 'data-version': v.version },
    h('div', { class: 'marker', 'aria-hidden': 'true' }),
    h('div', { class: 'body' },
      h('h3', {}, `Version ${v.version} `, short(v.hash), v.active ? badge('active', 'active') : null),
      h('p', { class: 'meta' }, time(v.created), ' · by ', h('span', { class: 'actor' }, v.actor),
        ' · ', count(v.rows, 'row')),
      v.note ? h('p', { class: 'note' }, v.note) : null,
      h('p', { class: 'changes' }, 'Schema: ', v.change_summary),
      actions));
}

export async function dataset(main, { name }, ctx) {
  const history = await api(path('datasets', name, 'history'));
  // The tables of each version, from the upload events (one request, no more).
  const tables = new Map();
  for (const e of history.events) {
    if (e.type === 'upload_created') tables.set(e.details.version, e.details.tables.map((t) => t.name));
  }
  const versions = [...history.versions].reverse();
  const options = (selected) => history.versions.map((v) =>
    h('option', { value: v.version, selected: v.version === selected }, `v${v.version}`));
  const last = history.versions.length;
  const from = h('select', { id: 'compare-from' }, options(Math.max(1, last - 1)));
  const to = h('select', { id: 'compare-to' }, options(last));
  const compare = h('form', { class: 'toolbar' },
    h('label', { for: 'compare-from' }, 'Compare'), from,
    h('label', { for: 'compare-to' }, 'with'), to,
    h('button', { type: 'submit' }, 'Compare'));
  compare.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = `${link('datasets', history.dataset, 'compare')}?from=${from.value}&to=${to.value}`;
  });
  append(main, 
    heading(history.dataset),
    h('p', { class: 'muted' }, `id ${history.dataset_id} · ${count(history.versions.length, 'version')}`),
    h('div', { class: 'toolbar' },
      canWrite(ctx) ? h('a', { class: 'button', href: `#/upload?dataset=${encodeURIComponent(history.dataset)}` }, 'Upload a new version…') : null),
    history.versions.length > 1 ? compare : null,
    h('h2', {}, 'Versions'),
    h('ol', { class: 'timeline', id: 'timeline', reversed: true }, versions.map((v) => versionItem(history.dataset, v, ctx, (n) => tables.get(n)))),
    h('h2', {}, 'Events'),
    table(null, EVENT_HEADERS, history.events.map(eventRow), { id: 'dataset-events' }));
}

// ---------------------------------------------------------------- rollback

function rollbackDialog(name, version, ctx) {
  const body = h('div', {}, h('p', {}, 'Checking what the rollback would change…'));
  const reason = h('textarea', { id: 'rollback-reason', required: true, rows: 3 });
  const error = h('div');
  const confirm = h('button', { type: 'submit', class: 'danger', disabled: true }, 'Roll back');
  const cancel = h('button', { type: 'button', value: 'cancel' }, 'Cancel');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'rollback-title' },
    h('form', { method: 'dialog' },
      h('h2', { id: 'rollback-title' }, `Roll back ${name} to version ${version}?`),
      body,
      h('label', { for: 'rollback-reason' }, 'Reason (recorded with the rollback)'), reason,
      error,
      h('div', { class: 'actions' }, cancel, confirm)));
  cancel.addEventListener('click', () => dialog.close('cancel'));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
  api(`${path('datasets', name, 'rollback', 'plan')}?version=${encodeURIComponent(version)}`).then((plan) => {
    body.replaceChildren(
      h('p', {}, `Version ${plan.to} becomes the active version instead of version ${plan.from}. Nothing is deleted: every version stays in the history.`),
      plan.warnings.length === 0
        ? h('p', { class: 'ok' }, 'No compatibility warnings.')
        : h('div', { class: 'warnings' },
          h('h3', {}, `Compatibility warnings (${plan.warnings.length})`),
          h('ul', {}, plan.warnings.map((w) => h('li', {}, w)))));
    confirm.disabled = false;
  }).catch((e) => body.replaceChildren(errorBox(e)));
  dialog.querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!reason.value.trim()) {
      error.replaceChildren(errorBox(new Error('give a reason: it is recorded with the rollback')));
      reason.focus();
      return;
    }
    confirm.disabled = true;
    try {
      const done = await api(path('datasets', name, 'rollback'), { method: 'POST', json: { version: String(version), reason: reason.value } });
      dialog.close('done');
      ctx.flash(`Rolled back ${done.dataset} from version ${done.from} to version ${done.to}.`);
      ctx.rerender();
    } catch (e) {
      error.replaceChildren(errorBox(e));
      confirm.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- a version

export async function version(main, { name, version: number }) {
  const v = await api(path('datasets', name, 'versions', number));
  append(main, 
    heading(`${v.dataset} · version ${v.version} `, v.active ? badge('active', 'active') : null),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Hash'), h('dd', {}, h('code', { class: 'hash' }, v.hash)),
      h('dt', {}, 'Created'), h('dd', {}, time(v.created), ` (event ${v.created_seq})`),
      h('dt', {}, 'By'), h('dd', {}, v.actor),
      h('dt', {}, 'Note'), h('dd', {}, v.note || '—'),
      v.override_reason ? [h('dt', {}, 'Override reason'), h('dd', {}, v.override_reason)] : null,
      h('dt', {}, 'Metadata'), h('dd', {}, v.metadata ? h('pre', {}, JSON.stringify(v.metadata, null, 2)) : '—')),
    h('p', {}, h('a', { href: link('datasets', v.dataset) }, `← ${v.dataset} history`)),
    h('h2', {}, 'Drift against the version active before'),
    driftView(v.drift),
    h('h2', {}, count(v.tables.length, 'table')),
    v.tables.map((t) => h('section', { class: 'card' },
      h('h3', {}, t.name, ' ', h('span', { class: 'muted' }, `(${t.table_id})`)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Source file'), h('dd', {}, t.source_file),
        h('dt', {}, 'Rows'), h('dd', {}, t.row_count),
        h('dt', {}, 'Bytes'), h('dd', {}, t.byte_len),
        h('dt', {}, 'Delimiter'), h('dd', {}, t.delimiter),
        h('dt', {}, 'Content hash'), h('dd', {}, h('code', { class: 'hash' }, t.content_hash)),
        h('dt', {}, 'Schema fingerprint'), h('dd', {}, h('code', { class: 'hash' }, t.fingerprint))),
      downloadLink(v.dataset, v.version, t.name),
      table(`Columns of ${t.name}`, ['Column', 'Type', 'Nullable', 'Identifier'],
        t.columns.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no', c.identifier ? 'yes' : 'no'])))));
}

// ---------------------------------------------------------------- compare

export async function compare(main, { name }, _ctx, query) {
  const from = query.get('from') || '1';
  const to = query.get('to') || 'active';
  const diff = await api(`${path('datasets', name, 'diff')}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
  append(main, 
    heading(`${diff.dataset}: version ${diff.from.version} → version ${diff.to.version}`),
    h('p', {}, short(diff.from.hash), ' → ', short(diff.to.hash)),
    h('p', {}, h('a', { href: link('datasets', diff.dataset) }, `← ${diff.dataset} history`)),
    diff.drift.added_tables.length ? h('p', {}, 'Tables added: ', diff.drift.added_tables.join(', ')) : null,
    diff.drift.removed_tables.length ? h('p', {}, 'Tables removed: ', diff.drift.removed_tables.join(', ')) : null,
    driftView(diff.drift));
}

// ---------------------------------------------------------------- upload

function planView(plan) {
  if (plan.status === 'refused') {
    return h('div', { class: 'plan refused', id: 'plan' },
      h('h3', {}, 'The upload would be refused'),
      h('p', { class: 'reason' }, plan.reason),
      plan.drift ? [h('h4', {}, `Drift against version ${plan.active_version}`), driftView(plan.drift)] : null);
  }
  const what = {
    new_dataset: `A new dataset ${plan.dataset}, version 1.`,
    new_version: `A new version ${plan.version} of ${plan.dataset}, made active.`,
    reactivated: `Version ${plan.version} of ${plan.dataset} holds this content: it becomes active again.`,
    already_active: `Version ${plan.version} of ${plan.dataset} already holds this content: nothing would be recorded.`,
  }[plan.status];
  return h('div', { class: 'plan ok', id: 'plan' },
    h('h3', {}, 'What the upload would do'),
    h('p', {}, what),
    plan.override_reason ? h('p', {}, 'Override reason (recorded): ', plan.override_reason) : null,
    plan.tables.length ? table('Tables', ['Table', 'From', 'Rows', 'Columns'],
      plan.tables.map((t) => [t.name, t.source_file, t.row_count, t.column_count])) : null,
    plan.drift ? [h('h4', {}, 'Drift against the active version'), driftView(plan.drift)] : null,
    plan.warnings.length ? h('div', { class: 'warnings' }, h('h4', {}, 'Warnings'),
      h('ul', {}, plan.warnings.map((w) => h('li', {}, w)))) : null);
}

export async function upload(main, _params, ctx, query) {
  if (!canWrite(ctx)) {
    append(main, heading('Upload'), h('p', {}, `Your role (${ctx.session.role}) cannot upload.`));
    return;
  }
  const known = await api('/api/datasets');
  const name = h('input', { id: 'upload-name', name: 'dataset', required: true, list: 'known-datasets', autocomplete: 'off', value: query.get('dataset') || '' });
  const files = h('input', { id: 'upload-files', name: 'file', type: 'file', multiple: true, required: true, accept: '.csv,.tsv,.txt,text/csv' });
  const overwrite = h('input', { id: 'upload-overwrite', name: 'overwrite', type: 'checkbox', checked: Boolean(query.get('dataset')) });
  const policy = h('select', { id: 'upload-policy', name: 'drift_policy' },
    h('option', { value: 'reject' }, 'reject breaking changes'),
    h('option', { value: 'warn' }, 'warn on breaking changes'),
    h('option', { value: 'allow' }, 'allow breaking changes'));
  const note = h('input', { id: 'upload-note', name: 'note', autocomplete: 'off' });
  const reason = h('textarea', { id: 'upload-reason', name: 'override_reason', rows: 2 });
  const reasonBox = h('div', { class: 'override', hidden: true },
    h('label', { for: 'upload-reason' }, 'This is a breaking change. To accept it, give a reason (recorded with the version):'),
    reason);
  const preview = h('div', { 'aria-live': 'polite' });
  const result = h('div', { 'aria-live': 'polite' });
  const previewButton = h('button', { type: 'submit', class: 'primary', id: 'upload-preview' }, 'Preview');
  const uploadButton = h('button', { type: 'button', id: 'upload-go', disabled: true }, 'Upload');

  const formData = () => {
    const data = new FormData();
    data.append('dataset', name.value.trim());
    data.append('overwrite', overwrite.checked ? 'true' : 'false');
    data.append('drift_policy', policy.value);
    if (!reasonBox.hidden && reason.value.trim()) data.append('override_reason', reason.value.trim());
    data.append('note', note.value);
    for (const f of files.files) data.append('file', f, f.name);
    return data;
  };
  // Any change to the form invalidates the preview: the upload is allowed only after a
  // preview of exactly what will be sent.
  const stale = () => { uploadButton.disabled = true; };
  for (const input of [name, files, overwrite, policy, note, reason]) input.addEventListener('input', stale);
  files.addEventListener('change', stale);

  const form = h('form', { class: 'card', id: 'upload-form' },
    h('label', { for: 'upload-name' }, 'Dataset name'), name,
    h('datalist', { id: 'known-datasets' }, known.map((d) => h('option', { value: d.name }))),
    h('label', { for: 'upload-files' }, 'CSV files (one table each)'), files,
    h('div', { class: 'check' }, overwrite, h('label', { for: 'upload-overwrite' }, 'Overwrite existing dataset (adds a new version; earlier versions are kept)')),
    h('label', { for: 'upload-policy' }, 'Drift policy'), policy,
    h('label', { for: 'upload-note' }, 'Note (optional)'), note,
    reasonBox,
    h('div', { class: 'actions' }, previewButton, uploadButton));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    preview.replaceChildren(h('p', { class: 'muted' }, 'Checking…'));
    try {
      const plan = await api('/api/uploads/plan', { method: 'POST', form: formData() });
      preview.replaceChildren(planView(plan));
      const driftRefusal = plan.status === 'refused' && plan.refusal === 'drift_refused';
      if (driftRefusal) {
        reasonBox.hidden = false;
        reason.focus();
      }
      uploadButton.disabled = plan.status === 'refused';
    } catch (e) {
      preview.replaceChildren(errorBox(e));
    }
  });
  uploadButton.addEventListener('click', async () => {
    uploadButton.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Uploading…'));
    try {
      const done = await api('/api/uploads', { method: 'POST', form: formData() });
      const words = { new_dataset: 'created', new_version: 'added', reactivated: 're-activated', already_active: 'already active' }[done.status];
      result.replaceChildren(h('div', { class: 'success', role: 'status', id: 'upload-result' },
        `${done.dataset} version ${done.version} ${words}. `,
        h('a', { href: link('datasets', done.dataset) }, 'See its history')));
      announce(`${done.dataset} version ${done.version} ${words}`);
    } catch (e) {
      const refusal = e.refusal;
      result.replaceChildren(h('div', { id: 'upload-result' }, errorBox(e),
        refusal && refusal.drift ? driftView(refusal.drift) : null));
    }
  });
  append(main, heading('Upload'), form, preview, result);
}

// ---------------------------------------------------------------- events

export async function events(main, _params, ctx) {
  const list = await api('/api/events?limit=500');
  const body = h('tbody', {}, [...list].reverse().map(eventRow));
  const status = h('p', { class: 'live', id: 'live-status' }, 'Connecting…');
  let last = list.length ? list[list.length - 1].seq : 0;
  const source = new EventSource(`/api/events/stream?after=${last}`);
  source.addEventListener('open', () => { status.textContent = 'Live: new events appear as they are recorded.'; status.className = 'live on'; });
  source.addEventListener('error', () => { status.textContent = 'Reconnecting…'; status.className = 'live off'; });
  source.addEventListener('event', (message) => {
    const e = JSON.parse(message.data);
    if (e.seq <= last) return;
    last = e.seq;
    const row = eventRow(e);
    row.classList.add('new');
    body.prepend(row);
    announce(`new event ${e.seq}: ${e.type} of ${e.dataset} by ${e.actor}`);
  });
  ctx.onLeave(() => source.close());
  append(main, heading('Event log'), status,
    h('div', { class: 'table-wrap' }, h('table', { id: 'events' },
      h('thead', {}, h('tr', {}, EVENT_HEADERS.map((c) => h('th', { scope: 'col' }, c)))), body)));
}

// ---------------------------------------------------------------- verify and figures

export async function verify(main) {
  const stat = await api('/api/stat');
  const deep = h('input', { id: 'verify-deep', type: 'checkbox' });
  const result = h('div', { 'aria-live': 'polite', id: 'verify-result' });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Verify the store');
  const form = h('form', { class: 'toolbar' }, run,
    h('div', { class: 'check' }, deep, h('label', { for: 'verify-deep' }, 'Deep: read every blob and check its hash')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    run.disabled = true;
    result.replaceChildren(h('p', { class: 'muted' }, 'Verifying…'));
    try {
      const report = await api(`/api/verify?deep=${deep.checked}`);
      const s = report.summary;
      result.replaceChildren(
        h('p', { class: s.ok ? 'success' : 'error' }, s.ok ? 'Verify: ok. ' : `Verify: ${count(s.problems, 'problem')} found. `,
          `${count(s.records, 'record')} in ${count(s.segments, 'segment')}, last seq ${s.last_seq}; invariants ${s.invariants_checked ? 'checked' : 'not checked'}; ${s.deep ? `${count(s.blobs_checked, 'blob')} read` : 'blobs: presence only'}.`),
        report.problems.length ? h('ul', {}, report.problems.map((p) => h('li', {}, `${p.kind}: ${p.defect || p.detail}`, p.path ? ` (${p.path})` : ''))) : null);
    } catch (e) {
      result.replaceChildren(errorBox(e));
    } finally {
      run.disabled = false;
    }
  });
  const figures = [
    ['Datasets', stat.datasets], ['Versions', stat.versions], ['Events', stat.events],
    ['Distinct tables', stat.distinct_tables], ['Records', stat.records], ['Last sequence number', stat.last_seq],
    ['Segments (sealed)', `${stat.segments} (${stat.sealed_segments})`],
    ['Log bytes (records / files)', `${stat.log_record_bytes} / ${stat.log_file_bytes}`],
    ['Blob files (bytes)', `${stat.blob_files} (${stat.blob_bytes})`],
    ['Torn tail', stat.torn_tail ? `${stat.torn_tail.segment} at ${stat.torn_tail.offset}` : 'none'],
  ];
  append(main, heading('Verify'), form, result,
    h('h2', {}, 'The store'),
    h('p', { class: 'muted' }, `${stat.store} · id ${stat.store_id}`),
    table(null, ['Figure', 'Value'], figures.map(([k, v]) => [k, String(v)]), { id: 'figures' }));
}

