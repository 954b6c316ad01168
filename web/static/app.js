// The carclub web app: screens, IndexedDB persistence and the sync transport.
//
// Every rule lives in Rust (client-core compiled to wasm, reached through `WebDevice`): this file
// shows what the device says, hands it what the person typed, stores the bytes it asks to store and
// moves sync frames between it and the server's WebSocket. No framework, no bundler.

import init, { WebDevice, parse_yuan } from './pkg/carclub_web.js';
import { t, lang, setLang, translatePage } from './i18n.js';

const SYNC_TIMEOUT_MS = 20_000;
const SYNC_EVERY_MS = 30_000;
const DB_NAME = 'carclub';
const DB_STORE = 'kv';
const TOKEN_KEY = 'carclub.office.token';
const MEMBER_TOKEN_KEY = 'carclub.member.token';
const SCREENS = ['field', 'office', 'member'];

const $ = (id) => document.getElementById(id);

const app = {
  db: null,
  device: null,
  screen: 'field',
  tiers: [],
  unsaved: new Map(), // key → bytes the device asked to store and IndexedDB has not taken yet
  syncing: null, // the sync under way, a Promise
  syncAgain: false, // something was recorded during the sync under way: sync once more after it
  syncError: null,
  officeToken: sessionStorage.getItem(TOKEN_KEY),
  // A member keeps their own sign-in on their phone (it is their device, not a shared one).
  memberToken: storedMemberToken(),
  memberAuth: 'login',
};

function storedMemberToken() {
  try {
    return localStorage.getItem(MEMBER_TOKEN_KEY);
  } catch (_) {
    return null;
  }
}

// ---------------------------------------------------------------- IndexedDB

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(DB_STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Every stored entry as `[key, Uint8Array]`. */
function readAll(db) {
  return new Promise((resolve, reject) => {
    const entries = [];
    const tx = db.transaction(DB_STORE, 'readonly');
    const req = tx.objectStore(DB_STORE).openCursor();
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) return;
      entries.push([String(cursor.key), new Uint8Array(cursor.value)]);
      cursor.continue();
    };
    tx.oncomplete = () => resolve(entries);
    tx.onerror = () => reject(tx.error);
  });
}

/** Writes entries in one transaction (an empty value removes the key); resolves once committed. */
function writeEntries(db, entries) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(DB_STORE, 'readwrite', { durability: 'strict' });
    const store = tx.objectStore(DB_STORE);
    for (const [key, bytes] of entries) {
      if (bytes.length === 0) store.delete(key);
      else store.put(bytes, key);
    }
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

/** Stores what the device changed. Entries that fail to store are kept and retried next time. */
async function persist() {
  for (const [key, bytes] of app.device.take_dirty()) app.unsaved.set(key, bytes);
  if (app.unsaved.size === 0) return true;
  const batch = [...app.unsaved.entries()];
  try {
    await writeEntries(app.db, batch);
    for (const [key, bytes] of batch) if (app.unsaved.get(key) === bytes) app.unsaved.delete(key);
    return true;
  } catch (err) {
    flash(t('error.storage', { msg: messageOf(err) }), 'error');
    return false;
  }
}

// ---------------------------------------------------------------- helpers

function messageOf(err) {
  if (err instanceof Error) return err.message;
  return String(err);
}

function json(text, fallback) {
  try {
    return JSON.parse(text) ?? fallback;
  } catch (_) {
    return fallback;
  }
}

/** Fen as yuan text, exact (no floating point). */
function yuan(fen) {
  const n = Math.trunc(Number(fen) || 0);
  const sign = n < 0 ? '-' : '';
  const abs = Math.abs(n);
  const cents = abs % 100;
  return `${sign}${Math.trunc(abs / 100)}${cents ? '.' + String(cents).padStart(2, '0') : ''}`;
}

/** A time given as epoch milliseconds or as RFC 3339 text, for people; '' when it is not a time. */
function formatTime(time, withDate = true) {
  if (time == null || time === '') return '';
  const ms = typeof time === 'number' ? time : /^\d+$/.test(time) ? Number(time) : Date.parse(time);
  if (!Number.isFinite(ms)) return '';
  const opts = { hour: '2-digit', minute: '2-digit' };
  if (withDate) Object.assign(opts, { month: 'numeric', day: 'numeric' });
  return new Intl.DateTimeFormat(lang(), opts).format(new Date(ms));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function showError(id, message) {
  const node = $(id);
  node.textContent = message ?? '';
  node.hidden = !message;
}

let flashTimer = null;
function flash(message, kind = 'ok') {
  const node = $('flash');
  node.textContent = message;
  node.className = `flash flash-${kind}`;
  node.hidden = false;
  clearTimeout(flashTimer);
  if (kind !== 'update') flashTimer = setTimeout(() => (node.hidden = true), kind === 'error' ? 8000 : 4000);
}

/** The message of an HTTP error answer (problem+json `detail`/`title`, or the status). */
async function problemMessage(res) {
  const text = await res.text().catch(() => '');
  const body = json(text, null);
  if (body && typeof body === 'object') {
    const msg = body.detail || body.title || body.error || body.message;
    if (msg) return String(msg);
  }
  return `${res.status} ${res.statusText}`.trim();
}

function tierName(id) {
  return app.tiers.find((tier) => tier.id === id)?.name ?? id ?? '';
}

function statusText(status) {
  const key = `status.${status}`;
  const text = t(key);
  return text === key ? status ?? '' : text;
}

function conflictKind(kind) {
  const key = `conflict.${kind}`;
  const text = t(key);
  return text === key ? kind ?? '' : text;
}

/** A server text in the language in use: its Chinese form (`<field>_zh`) where the app speaks Chinese. */
function said(record, field) {
  const zh = record?.[`${field}_zh`];
  return lang() === 'zh-CN' && zh ? zh : record?.[field];
}

function conflictText(conflict) {
  if (typeof conflict === 'string') return conflict;
  return said(conflict, 'summary') ?? conflictKind(conflict?.kind);
}

// ---------------------------------------------------------------- screens

function setScreen(screen) {
  app.screen = SCREENS.includes(screen) ? screen : 'field';
  if (location.hash !== `#${app.screen}`) history.replaceState(null, '', `#${app.screen}`);
  render();
  if (app.screen === 'office' && app.officeToken) loadOffice();
  if (app.screen === 'member' && app.memberToken) loadMember();
}

function render() {
  const registered = app.device?.is_registered() ?? false;
  for (const tab of document.querySelectorAll('.tab')) {
    tab.classList.toggle('active', tab.dataset.screen === app.screen);
    tab.setAttribute('aria-current', tab.dataset.screen === app.screen ? 'page' : 'false');
  }
  $('screen-register').hidden = !(app.screen === 'field' && !registered);
  $('screen-field').hidden = !(app.screen === 'field' && registered);
  $('screen-office').hidden = app.screen !== 'office';
  $('screen-member').hidden = app.screen !== 'member';
  // Members have no device to sync: the indicator is staff's.
  $('syncbar').hidden = app.screen === 'member';
  document.body.dataset.screen = app.screen;
  if (app.screen === 'field' && registered) renderField();
  if (app.screen === 'office') renderOffice();
  if (app.screen === 'member') renderMemberAuth();
  renderSync();
}

function renderField() {
  const device = app.device;
  const who = json(device.whoami_json(), null);
  const whoami = $('whoami');
  whoami.replaceChildren();
  if (who && typeof who === 'object') {
    const chip = (label, value) =>
      value ? el('div', { class: 'chip' }, el('span', { class: 'chip-label' }, label), el('span', {}, value)) : null;
    const chips = [
      chip(t('who.user'), who.user?.name),
      chip(t('who.store'), who.store?.name),
      chip(t('who.device'), deviceLabel(who.device)),
    ];
    whoami.append(...chips.filter(Boolean));
  }

  app.tiers = json(device.tiers_json(), []);
  const select = $('enroll-tier');
  const chosen = select.value;
  select.replaceChildren(
    ...app.tiers.map((tier) => el('option', { value: tier.id, title: `¥${yuan(tier.fee_fen)}` }, tier.name)),
  );
  if (app.tiers.some((tier) => tier.id === chosen)) select.value = chosen;

  const form = $('enroll-form');
  if (!form.fee.value && app.tiers.length) form.fee.value = yuan(selectedTier()?.fee_fen);
  if (!form.card.value) form.card.value = device.next_card() ?? '';
  const cardsLeft = device.next_card() != null;
  form.card.placeholder = cardsLeft ? '' : t('enroll.card.none');

  renderVisitCompanies(device);

  const visit = json(device.current_visit_json(), null);
  const inVisit = visit && typeof visit === 'object';
  $('visit-start-card').hidden = inVisit;
  $('visit-banner').hidden = !inVisit;
  $('enroll-card').hidden = !inVisit;
  $('visit-end-card').hidden = !inVisit;
  if (inVisit) {
    $('visit-site').textContent = visit.site;
    $('visit-since').textContent = t('visit.since', { time: formatTime(visit.started_at, false) });
  }

  renderMembers(json(device.members_json(), []));
}

/** The device as staff can tell it apart: its name, or the first block of its id. */
function deviceLabel(device) {
  if (device && typeof device === 'object') return device.name ?? deviceLabel(device.id);
  if (typeof device !== 'string') return null;
  return /^[0-9a-f]{8}-/i.test(device) ? device.slice(0, 8) : device;
}

function selectedTier() {
  const id = $('enroll-tier').value;
  return app.tiers.find((tier) => tier.id === id);
}

function syncBadge(member) {
  if (member.conflicts?.length) return ['conflict', t('badge.conflict')];
  if (member.sync === 'synced') return ['synced', t('badge.synced')];
  if (member.sync === 'rejected') return ['rejected', t('badge.rejected')];
  return ['pending', t('badge.pending')];
}

const MEMBERS_SHOWN = 100;
// Records that need the staff member's attention come first.
const ATTENTION = { conflict: 0, rejected: 1, pending: 2, synced: 3 };

function renderMembers(members) {
  const list = $('members');
  $('members-count').textContent = members.length ? String(members.length) : '';
  $('members-filter').hidden = members.length <= 10;
  if (!members.length) {
    list.replaceChildren(el('li', { class: 'empty' }, t('members.empty')));
    return;
  }
  const q = $('members-filter').value.trim().toUpperCase();
  const found = members
    .filter((m) => !q || [m.name, m.phone, m.plate, m.card, m.vin].some((v) => v?.toUpperCase().includes(q)))
    .map((m, i) => ({ m, i, rank: ATTENTION[syncBadge(m)[0]] }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map(({ m }) => m);
  if (!found.length) {
    list.replaceChildren(el('li', { class: 'empty' }, t('members.none_found')));
    return;
  }
  const hidden = found.length - MEMBERS_SHOWN;
  const items = [
    ...found.slice(0, MEMBERS_SHOWN).map((member) => {
      const [kind, label] = syncBadge(member);
      return el(
        'li',
        { class: `member member-${kind}`, dataset: { memberId: member.id, sync: kind } },
        el(
          'div',
          { class: 'member-head' },
          el('strong', { class: 'member-name' }, member.name),
          el('span', { class: `badge badge-${kind}` }, label),
        ),
        el('div', { class: 'member-line' }, [member.phone, member.plate].filter(Boolean).join(' · ')),
        el(
          'div',
          { class: 'member-line muted' },
          `${t('members.tier')} ${tierName(member.tier)} · ${t('members.card')} `,
          el('span', { class: 'mono' }, member.card ?? ''),
          member.status ? ` · ${statusText(member.status)}` : '',
        ),
        member.vin ? el('div', { class: 'member-line muted mono' }, member.vin) : null,
        member.sync === 'rejected' && member.reason
          ? el('div', { class: 'member-reason' }, t('members.reason', { reason: member.reason }))
          : null,
        member.conflicts?.length
          ? el('ul', { class: 'member-conflicts' }, member.conflicts.map((c) => el('li', {}, conflictText(c))))
          : null,
      );
    }),
  ];
  if (hidden > 0) items.push(el('li', { class: 'empty' }, t('members.more', { n: hidden })));
  list.replaceChildren(...items);
}

// ---------------------------------------------------------------- sync

function syncStatus() {
  return json(app.device?.sync_status_json() ?? 'null', null) ?? { pending_events: 0, last_sync_ms: null };
}

function renderSync() {
  const online = navigator.onLine;
  const registered = app.device?.is_registered() ?? false;
  const status = syncStatus();
  const pending = Number(status.pending_events) || 0;
  const bar = $('syncbar');

  let state;
  let message = '';
  if (!online) {
    state = 'offline';
    message = registered && pending ? t('sync.offline_hint') : '';
  } else if (app.syncing) {
    state = 'running';
    message = t('sync.running');
  } else if (app.syncError) {
    state = 'error';
    message = t('sync.failed', { msg: app.syncError });
  } else if (registered && pending === 0 && status.last_sync_ms != null) {
    state = 'synced';
  } else {
    state = 'pending';
  }
  bar.dataset.state = state;
  $('sync-net').classList.toggle('online', online);
  $('sync-net-text').textContent = online ? t('sync.online') : t('sync.offline');
  const pendingNode = $('sync-pending');
  if (pending) pendingNode.textContent = t('sync.pending', { n: pending });
  else pendingNode.textContent = state === 'synced' ? t('sync.synced') : t('sync.nothing_pending');
  pendingNode.classList.toggle('has-pending', pending > 0);
  pendingNode.classList.toggle('all-synced', state === 'synced');
  $('sync-last').textContent =
    status.last_sync_ms != null ? t('sync.last', { time: formatTime(status.last_sync_ms) }) : t('sync.never');
  $('sync-message').textContent = message;
  $('sync-now').disabled = !online || !!app.syncing;
}

/** Syncs now unless a sync is under way (then joins it), the device is unregistered or offline. */
function sync() {
  if (!app.device?.is_registered() || !navigator.onLine) {
    renderSync();
    return Promise.resolve();
  }
  if (app.syncing) {
    app.syncAgain = true;
    return app.syncing;
  }
  app.syncError = null;
  app.syncAgain = false;
  app.syncing = runSync().finally(() => {
    app.syncing = null;
    render();
    if (app.syncAgain && !app.syncError) sync();
  });
  renderSync();
  return app.syncing;
}

/** One sync session over a WebSocket; resolves when it completed, failed or timed out. */
function runSync() {
  const device = app.device;
  return new Promise((resolve) => {
    let socket = null;
    let done = false;
    const finish = async (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
      // What the server said went wrong explains a failure better than the socket can.
      const reported = error ? device.sync_error() : null;
      device.sync_end(Date.now());
      app.syncError = error ? reported ?? error : null;
      await persist();
      resolve();
    };
    const timer = setTimeout(() => finish(t('sync.timeout')), SYNC_TIMEOUT_MS);
    try {
      socket = new WebSocket(device.sync_url(location.origin));
    } catch (err) {
      finish(messageOf(err));
      return;
    }
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      for (const frame of device.sync_begin()) socket.send(frame);
    };
    socket.onmessage = (event) => {
      if (done || !(event.data instanceof ArrayBuffer)) return;
      try {
        for (const frame of device.sync_receive(new Uint8Array(event.data))) socket.send(frame);
      } catch (err) {
        finish(messageOf(err));
        return;
      }
      if (device.sync_complete()) finish();
    };
    socket.onerror = () => finish(t('error.network'));
    socket.onclose = () => finish(t('sync.closed'));
  });
}

// ---------------------------------------------------------------- field actions

async function onRegister(event) {
  event.preventDefault();
  const form = event.target;
  showError('register-error', null);
  if (!navigator.onLine) return showError('register-error', t('register.offline'));
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  button.textContent = t('register.busy');
  try {
    const res = await fetch('/api/devices', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: form.username.value.trim(),
        password: form.password.value,
        name: form.device.value.trim() || t('register.device.default'),
      }),
    });
    if (!res.ok) throw new Error(await problemMessage(res));
    app.device.apply_registration(await res.text());
    await persist();
    form.reset();
    render();
    sync();
  } catch (err) {
    const msg = err instanceof TypeError ? t('error.network') : messageOf(err);
    showError('register-error', t('register.failed', { msg }));
  } finally {
    button.disabled = false;
    button.textContent = t('register.submit');
  }
}

/** Runs a device call that records something, stores the result and starts a sync. */
async function record(errorId, action) {
  showError(errorId, null);
  try {
    action();
  } catch (err) {
    showError(errorId, messageOf(err));
    return false;
  }
  await persist();
  render();
  sync();
  return true;
}

// The device names the field it refused (`phone: …`): say which one in the page's language and put
// the cursor there.
const ENROLL_FIELDS = {
  name: 'name',
  phone: 'phone',
  vin: 'vin',
  plate: 'plate',
  tier: 'tier',
  fee: 'fee',
  fee_fen: 'fee',
  receipt: 'receipt',
  card: 'card',
};

function pointAtField(form, errorNode) {
  const match = /^([a-z_]+): ([\s\S]*)$/.exec(errorNode.textContent);
  const name = match && ENROLL_FIELDS[match[1]];
  if (!name) return;
  errorNode.textContent = `${t(`enroll.${name}`)}：${match[2]}`;
  const input = form.elements[name];
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

/** The companies (corporate agreements) the user may start a visit at, as a choice on the form. */
function renderVisitCompanies(device) {
  const companies = json(device.companies_json(), []);
  const select = $('visit-company');
  const chosen = select.value;
  select.replaceChildren(
    el('option', { value: '' }, t('visit.company.none')),
    ...companies.map((c) => el('option', { value: c.id }, c.name)),
  );
  if (companies.some((c) => c.id === chosen)) select.value = chosen;
  $('visit-company-label').hidden = !companies.length;
}

function onVisitCompany(event) {
  const form = $('visit-form');
  const option = event.target.selectedOptions[0];
  if (event.target.value && !form.site.value.trim()) form.site.value = option?.textContent ?? '';
}

async function onStartVisit(event) {
  event.preventDefault();
  const form = event.target;
  const company = form.company.value;
  const ok = await record('visit-error', () =>
    app.device.start_visit_at(form.site.value.trim(), company, Date.now()),
  );
  if (ok) {
    form.reset();
    flash(t('visit.started'));
    $('enroll-form').elements.name.focus();
  }
}

async function onEndVisit(event) {
  event.preventDefault();
  const form = event.target;
  const ok = await record('visit-end-error', () => app.device.end_visit(form.notes.value.trim(), Date.now()));
  if (ok) {
    form.reset();
    flash(t('visit.ended'));
  }
}

async function onEnroll(event) {
  event.preventDefault();
  const form = event.target;
  let feeFen;
  try {
    feeFen = parse_yuan(form.fee.value);
  } catch (err) {
    showError('enroll-error', `${t('enroll.fee')}：${messageOf(err)}`);
    form.fee.setAttribute('aria-invalid', 'true');
    form.fee.focus();
    return;
  }
  const input = {
    name: form.elements.name.value.trim(),
    phone: form.phone.value.trim(),
    vin: form.vin.value.trim(),
    plate: form.plate.value.trim(),
    tier: form.tier.value,
    fee_fen: feeFen,
    receipt: form.receipt.value.trim(),
    card: form.card.value.trim(),
  };
  let member = null;
  const ok = await record('enroll-error', () => {
    member = json(app.device.enroll(JSON.stringify(input), Date.now()), input);
  });
  if (!ok) {
    pointAtField(form, $('enroll-error'));
    return;
  }
  const tier = form.tier.value;
  form.reset();
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  form.tier.value = tier;
  form.fee.value = yuan(selectedTier()?.fee_fen);
  form.card.value = app.device.next_card() ?? '';
  flash(t('enroll.done', { name: member.name ?? input.name, card: member.card ?? input.card }));
  form.elements.name.focus();
}

// ---------------------------------------------------------------- back office

function renderOffice() {
  const signedIn = !!app.officeToken;
  $('office-login-card').hidden = signedIn;
  $('office-main').hidden = !signedIn;
}

async function officeFetch(path, options = {}) {
  const headers = { ...(options.headers ?? {}) };
  if (app.officeToken) headers.authorization = `Bearer ${app.officeToken}`;
  let res;
  try {
    res = await fetch(path, { ...options, headers });
  } catch (_) {
    throw new Error(navigator.onLine ? t('error.network') : t('office.offline'));
  }
  if (res.status === 401 && app.officeToken) {
    signOut();
    showError('office-login-error', t('office.session_expired'));
    throw new Error(t('office.session_expired'));
  }
  if (!res.ok) throw new Error(await problemMessage(res));
  return res.json();
}

async function onOfficeLogin(event) {
  event.preventDefault();
  const form = event.target;
  showError('office-login-error', null);
  if (!navigator.onLine) return showError('office-login-error', t('office.offline'));
  try {
    const body = await officeFetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: form.username.value.trim(), password: form.password.value }),
    });
    if (!body?.token) throw new Error(t('error.network'));
    app.officeToken = body.token;
    sessionStorage.setItem(TOKEN_KEY, body.token);
    form.reset();
    renderOffice();
    loadOffice();
  } catch (err) {
    showError('office-login-error', t('office.login.failed', { msg: messageOf(err) }));
  }
}

function signOut() {
  app.officeToken = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('office-members').replaceChildren();
  $('office-conflicts').replaceChildren();
  $('office-staff').replaceChildren();
  $('office-staff-card').hidden = true;
  renderOffice();
}

function loadOffice() {
  loadMembers($('office-search-form').q.value.trim());
  loadConflicts();
  loadStaff();
}

/** Field staff and the companies each works with; shown to those who manage staff. */
async function loadStaff() {
  const card = $('office-staff-card');
  let users;
  let agreements;
  try {
    ({ users = [] } = await officeFetch('/api/users'));
    ({ agreements = [] } = await officeFetch('/api/corporate-accounts'));
  } catch (_) {
    // Not a role that manages staff: the card stays hidden.
    card.hidden = true;
    return;
  }
  card.hidden = false;
  const field = users.filter((u) => u.role === 'field_staff');
  $('office-staff').replaceChildren(
    ...(field.length
      ? field.map((u) => assignmentForm(u, agreements.filter((a) => a.store === u.store)))
      : [el('li', { class: 'empty' }, t('office.staff.empty'))]),
  );
}

/** One field staff member's scope: the whole store, or companies of the store. */
function assignmentForm(user, agreements) {
  const scoped = user.assignment?.scope === 'companies';
  const assigned = new Set(user.assignment?.companies ?? []);
  const radio = (value, checked) =>
    el('input', { type: 'radio', name: `scope-${user.id}`, value, checked: checked || null });
  const whole = radio('store', !scoped);
  const some = radio('companies', scoped);
  const boxes = agreements.map((a) =>
    el('input', { type: 'checkbox', name: 'company', value: a.id, checked: assigned.has(a.id) || null }),
  );
  const error = el('p', { class: 'error', hidden: true });
  const form = el(
    'form',
    { class: 'assignment', novalidate: true, dataset: { userId: user.id } },
    el('div', { class: 'member-head' }, el('strong', {}, user.name), el('span', { class: 'muted' }, user.username)),
    el('label', {}, whole, ' ', t('office.staff.store')),
    el('label', {}, some, ' ', t('office.staff.companies')),
    agreements.length
      ? agreements.map((a, i) => el('label', { class: 'member-line' }, boxes[i], ' ', a.company))
      : el('div', { class: 'member-line muted' }, t('office.staff.no_agreements')),
    el('button', { class: 'btn btn-primary', type: 'submit' }, t('office.staff.save')),
    error,
  );
  for (const box of boxes) box.addEventListener('change', () => { if (box.checked) some.checked = true; });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const companies = boxes.filter((b) => b.checked).map((b) => b.value);
    if (some.checked && !companies.length) {
      error.textContent = t('office.staff.pick');
      error.hidden = false;
      return;
    }
    const body = some.checked ? { scope: 'companies', companies } : { scope: 'store' };
    try {
      await officeFetch(`/api/users/${encodeURIComponent(user.id)}/assignment`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      flash(t('office.staff.saved', { name: user.name }));
      loadOffice();
    } catch (err) {
      error.textContent = messageOf(err);
      error.hidden = false;
    }
  });
  return el('li', { class: 'conflict' }, form);
}

async function loadMembers(q) {
  const body = $('office-members');
  showError('office-error', null);
  body.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'empty' }, t('office.loading'))));
  try {
    const { members = [] } = await officeFetch(`/api/members?q=${encodeURIComponent(q)}`);
    $('office-count').textContent = t('office.members.count', { n: members.length });
    if (!members.length) {
      body.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'empty' }, t('office.members.empty'))));
      return;
    }
    body.replaceChildren(
      ...members.map((m) =>
        el(
          'tr',
          { dataset: { memberId: m.id } },
          el(
            'td',
            { 'data-label': t('office.col.name') },
            el('strong', {}, m.name),
            m.conflicts?.length ? el('span', { class: 'badge badge-conflict' }, t('badge.conflict')) : null,
          ),
          el('td', { 'data-label': t('office.col.phone') }, m.phone ?? ''),
          el('td', { 'data-label': t('office.col.plate') }, m.plate ?? ''),
          el('td', { 'data-label': t('office.col.vin'), class: 'mono' }, m.vin ?? ''),
          el('td', { 'data-label': t('office.col.tier') }, tierName(m.tier)),
          el('td', { 'data-label': t('office.col.card'), class: 'mono' }, m.card ?? ''),
          el(
            'td',
            { 'data-label': t('office.col.status') },
            el('span', { class: `status status-${m.status}` }, statusText(m.status)),
          ),
        ),
      ),
    );
  } catch (err) {
    body.replaceChildren();
    $('office-count').textContent = '';
    showError('office-error', t('office.failed', { msg: messageOf(err) }));
  }
}

async function loadConflicts() {
  const list = $('office-conflicts');
  try {
    const { conflicts = [] } = await officeFetch('/api/conflicts');
    const open = conflicts.filter((c) => !c.resolved);
    if (!open.length) {
      list.replaceChildren(el('li', { class: 'empty' }, t('office.conflicts.empty')));
      return;
    }
    // Conflicts name members by id: look their names up in the store's member list.
    const { members = [] } = await officeFetch('/api/members?q=&limit=1000');
    const byId = new Map(members.map((m) => [m.id, m]));
    const memberName = (m) => (typeof m === 'string' ? byId.get(m)?.name ?? m.slice(0, 8) : m.name ?? m.id);
    list.replaceChildren(
      ...open.map((c) =>
        el(
          'li',
          { class: 'conflict', dataset: { conflictId: c.id } },
          el(
            'div',
            { class: 'member-head' },
            el('strong', {}, conflictText(c)),
            el('span', { class: 'badge badge-conflict' }, conflictKind(c.kind)),
          ),
          el(
            'div',
            { class: 'member-line muted' },
            (c.members ?? []).map(memberName).join('、'),
            c.created_at ? ` · ${formatTime(c.created_at)}` : '',
          ),
          c.resolution
            ? el('div', { class: 'member-line' }, t('office.conflicts.resolution', { text: said(c, 'resolution') }))
            : null,
          resolveForm(c, byId),
        ),
      ),
    );
  } catch (err) {
    list.replaceChildren(el('li', { class: 'empty error' }, t('office.failed', { msg: messageOf(err) })));
  }
}

/** The back office's decision on a conflict: which record to keep (if one) and what was done. */
function resolveForm(conflict, byId) {
  const ids = (conflict.members ?? []).map((m) => (typeof m === 'string' ? m : m.id));
  const keep = el(
    'select',
    { name: 'keep' },
    el('option', { value: '' }, t('office.resolve.keep_none')),
    ids.map((id) => {
      const m = byId.get(id);
      return el('option', { value: id }, t('office.resolve.keep', { name: m?.name ?? id.slice(0, 8), card: m?.card ?? '' }));
    }),
  );
  const note = el('input', { name: 'note', maxlength: 500, required: true, placeholder: t('office.resolve.note') });
  const error = el('p', { class: 'error', hidden: true });
  const form = el(
    'form',
    { class: 'resolve', novalidate: true },
    keep,
    note,
    el('button', { class: 'btn btn-primary', type: 'submit' }, t('office.resolve.submit')),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = { note: note.value.trim() };
    if (keep.value) body.keep = keep.value;
    try {
      await officeFetch(`/api/conflicts/${encodeURIComponent(conflict.id)}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      flash(t('office.resolve.done'));
      loadOffice();
    } catch (err) {
      error.textContent = messageOf(err);
      error.hidden = false;
    }
  });
  return form;
}

// ---------------------------------------------------------------- member: my card

function renderMemberAuth() {
  const signedIn = !!app.memberToken;
  $('member-auth').hidden = signedIn;
  $('member-main').hidden = !signedIn;
  const signup = app.memberAuth === 'signup';
  $('member-login-form').hidden = signup;
  $('member-signup-form').hidden = !signup;
  for (const seg of document.querySelectorAll('[data-auth]')) {
    seg.classList.toggle('active', seg.dataset.auth === app.memberAuth);
    seg.setAttribute('aria-selected', String(seg.dataset.auth === app.memberAuth));
  }
}

async function memberFetch(path, options = {}) {
  const headers = { ...(options.headers ?? {}) };
  if (app.memberToken) headers.authorization = `Bearer ${app.memberToken}`;
  if (options.body) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { ...options, headers });
  } catch (_) {
    throw new Error(navigator.onLine ? t('error.network') : t('member.offline'));
  }
  if (res.status === 401 && app.memberToken) {
    memberSignOut(false);
    renderMemberAuth();
    showError('member-login-error', t('office.session_expired'));
    throw new Error(t('office.session_expired'));
  }
  if (!res.ok) {
    const err = new Error(await problemMessage(res));
    err.status = res.status;
    throw err;
  }
  return res.json();
}

/** The server's words (English) for the mistakes members make most, in the page's language. */
function memberMessage(err, known) {
  return known[err?.status] ? t(known[err.status]) : messageOf(err);
}

function keepMemberToken(token) {
  app.memberToken = token;
  try {
    localStorage.setItem(MEMBER_TOKEN_KEY, token);
  } catch (_) {
    // Not remembered: signed in for this page only.
  }
}

async function withBusy(form, busyKey, action) {
  const button = form.querySelector('button[type=submit]');
  const label = button.textContent;
  button.disabled = true;
  button.textContent = t(busyKey);
  try {
    await action();
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

async function onMemberLogin(event) {
  event.preventDefault();
  const form = event.target;
  showError('member-login-error', null);
  if (!navigator.onLine) return showError('member-login-error', t('member.offline'));
  await withBusy(form, 'member.busy', async () => {
    try {
      const body = await memberFetch('/api/login', {
        method: 'POST',
        body: JSON.stringify({ username: form.username.value.trim(), password: form.password.value }),
      });
      if (!body?.token) throw new Error(t('error.network'));
      keepMemberToken(body.token);
      const me = await memberFetch('/api/me');
      if (!me?.member) {
        // A staff account: this screen is the member's own.
        await memberFetch('/api/logout', { method: 'POST' }).catch(() => {});
        memberSignOut(false);
        throw new Error(t('member.login.not_member'));
      }
      form.reset();
      renderMemberAuth();
      loadMember(me);
    } catch (err) {
      const msg = memberMessage(err, { 401: 'member.login.wrong', 403: 'member.login.wrong' });
      showError('member-login-error', t('member.login.failed', { msg }));
    }
  });
}

async function onMemberSignup(event) {
  event.preventDefault();
  const form = event.target;
  showError('member-signup-error', null);
  const code = form.code.value.trim();
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!code || !username) return showError('member-signup-error', t('member.signup.missing'));
  if (password.length < 8) return showError('member-signup-error', t('member.signup.short'));
  if (!navigator.onLine) return showError('member-signup-error', t('member.offline'));
  await withBusy(form, 'member.busy', async () => {
    try {
      const body = await memberFetch('/api/member-signup', {
        method: 'POST',
        body: JSON.stringify({ code, username, password }),
      });
      if (!body?.token) throw new Error(t('error.network'));
      keepMemberToken(body.token);
      form.reset();
      app.memberAuth = 'login';
      renderMemberAuth();
      flash(t('member.signup.done'));
      loadMember();
    } catch (err) {
      const msg = /invitation code/i.test(messageOf(err))
        ? t('member.signup.bad_code')
        : memberMessage(err, { 409: 'member.signup.taken' });
      showError('member-signup-error', t('member.signup.failed', { msg }));
    }
  });
}

function memberSignOut(tellServer) {
  if (tellServer && app.memberToken) {
    fetch('/api/logout', { method: 'POST', headers: { authorization: `Bearer ${app.memberToken}` } }).catch(() => {});
  }
  app.memberToken = null;
  try {
    localStorage.removeItem(MEMBER_TOKEN_KEY);
  } catch (_) {
    // Nothing stored.
  }
  for (const id of ['member-benefits', 'member-events', 'member-complaints']) $(id).replaceChildren();
  renderMemberAuth();
}

/** A day (`2027-11-24`) or a time, as a date for people. */
function formatDate(day) {
  if (!day) return '';
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00`) : Date.parse(day);
  if (!Number.isFinite(ms)) return String(day);
  return new Intl.DateTimeFormat(lang(), { year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(ms));
}

function translated(prefix, value) {
  const key = `${prefix}.${value}`;
  const text = t(key);
  return text === key ? value ?? '' : text;
}

/** Loads the member's own file, events and complaints; `me` when already fetched. */
async function loadMember(me = null) {
  showError('member-error', null);
  document.body.dataset.member = 'loading';
  try {
    const [mine, events, complaints] = await Promise.all([
      me ? Promise.resolve(me) : memberFetch('/api/me'),
      memberFetch('/api/club-events'),
      memberFetch('/api/complaints'),
    ]);
    if (!mine?.member) throw new Error(t('member.login.not_member'));
    renderMemberCard(mine.member);
    renderEvents(events.events ?? []);
    renderComplaints(complaints.complaints ?? []);
    document.body.dataset.member = 'ready';
  } catch (err) {
    if (!app.memberToken) return;
    showError('member-error', t('office.failed', { msg: messageOf(err) }));
    document.body.dataset.member = 'failed';
  }
}

function renderMemberCard(member) {
  const state = member.state ?? {};
  const tier = state.tier ?? member.tier;
  const status = state.status ?? member.status;
  const card = $('member-card');
  card.dataset.tier = tier ?? '';
  card.dataset.status = status ?? '';
  $('member-tier').textContent = translated('tier', tier);
  $('member-card-number').textContent = member.card ?? '';
  $('member-card-number').dataset.card = member.card ?? '';
  $('member-name').textContent = member.name ?? '';
  $('member-valid').textContent = state.valid_until ? formatDate(state.valid_until) : t('member.valid.none');
  const badge = $('member-status');
  badge.textContent = translated('status', status);
  badge.className = `mcard-status mstatus-${status}`;
  $('member-points').textContent = Number(state.points ?? 0).toLocaleString(lang());
  const plates = (member.vehicles ?? []).map((v) => v.plate).filter(Boolean);
  $('member-plate').textContent = member.plate ?? (plates.join(' / ') || '—');

  const period = state.benefits_period;
  $('member-benefits-period').textContent =
    period?.from && period?.to ? t('member.benefits.period', { from: formatDate(period.from), to: formatDate(period.to) }) : '';
  const benefits = state.benefits ?? [];
  $('member-benefits').replaceChildren(
    ...(benefits.length
      ? benefits.map((b) => {
          let value;
          let meter = null;
          if (b.kind === 'allowance') {
            value = t('member.benefit.left', { n: b.remaining ?? 0, of: b.per_year });
            const pct = b.per_year ? Math.round(((b.remaining ?? 0) / b.per_year) * 100) : 0;
            meter = el('div', { class: 'meter' }, el('span', { style: `width:${pct}%` }));
          } else if (b.kind === 'discount') value = t('member.benefit.discount', { n: b.percent });
          else if (b.kind === 'free_km') value = t('member.benefit.km', { n: b.km });
          else value = t('member.benefit.service');
          return el(
            'li',
            { class: `benefit benefit-${b.kind}${b.available === false ? ' unavailable' : ''}`, dataset: { benefit: b.id } },
            el('div', { class: 'benefit-head' }, el('span', { class: 'benefit-name' }, b.name), el('span', { class: 'benefit-value' }, value)),
            meter,
            b.available === false ? el('div', { class: 'member-line muted' }, t('member.benefit.unavailable')) : null,
          );
        })
      : [el('li', { class: 'empty' }, t('member.benefits.empty'))]),
  );
}

function renderEvents(events) {
  const list = $('member-events');
  const shown = events
    .filter((e) => e.invited !== false)
    .sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
  if (!shown.length) {
    list.replaceChildren(el('li', { class: 'empty' }, t('member.events.empty')));
    return;
  }
  list.replaceChildren(
    ...shown.map((e) => {
      const answer = e.rsvp?.attending;
      const full = e.capacity != null && e.accepted >= e.capacity && answer !== true;
      const past = Date.parse(e.starts_at) < Date.now() - 86_400_000;
      const state = e.attended ? 'attended' : answer === true ? 'yes' : answer === false ? 'no' : 'open';
      const item = el(
        'li',
        { class: `event event-${state}`, dataset: { eventId: e.id, rsvp: state } },
        el(
          'div',
          { class: 'member-head' },
          el('strong', { class: 'event-title' }, e.title),
          el('span', { class: `badge badge-rsvp-${state}` }, t(`member.rsvp.${state}`)),
        ),
        el('div', { class: 'member-line' }, `${formatTime(e.starts_at)} · ${e.place ?? ''}`),
        el(
          'div',
          { class: 'member-line muted' },
          [translated('event.kind', e.kind), t('member.event.places', { n: e.accepted ?? 0, of: e.capacity }),
            e.points ? t('member.event.points', { n: e.points }) : null]
            .filter(Boolean)
            .join(' · '),
        ),
      );
      if (!e.attended && !past) {
        const yes = el('button', { type: 'button', class: `btn btn-small ${answer === true ? 'btn-primary' : ''}`, dataset: { rsvp: 'yes' }, disabled: full || null }, (answer === true ? '✓ ' : '') + t('member.rsvp.attend'));
        const no = el('button', { type: 'button', class: `btn btn-small ${answer === false ? 'btn-primary' : ''}`, dataset: { rsvp: 'no' } }, (answer === false ? '✓ ' : '') + t('member.rsvp.decline'));
        yes.addEventListener('click', () => answerEvent(e.id, true, item));
        no.addEventListener('click', () => answerEvent(e.id, false, item));
        item.append(el('div', { class: 'event-actions' }, yes, no), el('p', { class: 'error', hidden: true }));
      }
      return item;
    }),
  );
}

async function answerEvent(id, attending, item) {
  const error = item.querySelector('.error');
  for (const b of item.querySelectorAll('button')) b.disabled = true;
  try {
    await memberFetch(`/api/club-events/${encodeURIComponent(id)}/rsvp`, {
      method: 'POST',
      body: JSON.stringify({ attending }),
    });
    flash(t(attending ? 'member.rsvp.done_yes' : 'member.rsvp.done_no'));
    const { events = [] } = await memberFetch('/api/club-events');
    renderEvents(events);
  } catch (err) {
    for (const b of item.querySelectorAll('button')) b.disabled = false;
    if (error) {
      error.textContent = messageOf(err);
      error.hidden = false;
    }
  }
}

function complaintState(c) {
  if (!c.open) return 'closed';
  if (c.answer) return 'answered';
  if (c.overdue) return 'overdue';
  return 'open';
}

function renderComplaints(complaints) {
  const list = $('member-complaints');
  if (!complaints.length) {
    list.replaceChildren(el('li', { class: 'empty' }, t('member.complaints.empty')));
    return;
  }
  const sorted = [...complaints].sort((a, b) => String(b.filed_at).localeCompare(String(a.filed_at)));
  list.replaceChildren(
    ...sorted.map((c) => {
      const state = complaintState(c);
      return el(
        'li',
        { class: 'complaint', dataset: { complaintId: c.id, state } },
        el(
          'div',
          { class: 'member-head' },
          el('span', { class: 'member-line muted' }, `${formatTime(c.filed_at)} · ${translated('channel', c.channel)}`),
          el('span', { class: `badge badge-complaint-${state}` }, t(`member.complaint.${state}`)),
        ),
        el('div', { class: 'complaint-text' }, c.text),
        c.answer ? el('div', { class: 'complaint-answer' }, t('member.complaint.reply', { text: c.answer.text })) : null,
      );
    }),
  );
}

async function onComplaint(event) {
  event.preventDefault();
  const form = event.target;
  showError('complaint-error', null);
  const text = form.text.value.trim();
  if (!text) {
    showError('complaint-error', t('member.complaint.empty'));
    form.text.focus();
    return;
  }
  await withBusy(form, 'member.busy', async () => {
    try {
      await memberFetch('/api/complaints', {
        method: 'POST',
        body: JSON.stringify({ channel: form.channel.value, level: 'complaint', text }),
      });
      form.text.value = '';
      flash(t('member.complaint.done'));
      const { complaints = [] } = await memberFetch('/api/complaints');
      renderComplaints(complaints);
    } catch (err) {
      showError('complaint-error', messageOf(err));
    }
  });
}

// ---------------------------------------------------------------- start

function wire() {
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => setScreen(tab.dataset.screen));
  }
  $('lang-switch').addEventListener('click', () => {
    setLang(lang() === 'zh-CN' ? 'en' : 'zh-CN');
    translatePage();
    render();
    if (app.screen === 'office' && app.officeToken) loadOffice();
    if (app.screen === 'member' && app.memberToken) loadMember();
  });
  $('sync-now').addEventListener('click', () => sync());
  $('flash').addEventListener('click', () => {
    if ($('flash').classList.contains('flash-update')) location.reload();
    $('flash').hidden = true;
  });
  $('register-form').addEventListener('submit', onRegister);
  $('visit-form').addEventListener('submit', onStartVisit);
  $('visit-company').addEventListener('change', onVisitCompany);
  $('visit-end-form').addEventListener('submit', onEndVisit);
  $('enroll-form').addEventListener('submit', onEnroll);
  $('enroll-form').addEventListener('input', (event) => event.target.removeAttribute('aria-invalid'));
  $('members-filter').addEventListener('input', () => renderMembers(json(app.device.members_json(), [])));
  $('enroll-tier').addEventListener('change', () => {
    $('enroll-form').fee.value = yuan(selectedTier()?.fee_fen);
  });
  $('office-login-form').addEventListener('submit', onOfficeLogin);
  $('office-search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    loadMembers(event.target.q.value.trim());
  });
  $('office-logout').addEventListener('click', signOut);
  for (const seg of document.querySelectorAll('[data-auth]')) {
    seg.addEventListener('click', () => {
      app.memberAuth = seg.dataset.auth;
      renderMemberAuth();
    });
  }
  $('member-login-form').addEventListener('submit', onMemberLogin);
  $('member-signup-form').addEventListener('submit', onMemberSignup);
  $('member-logout').addEventListener('click', () => memberSignOut(true));
  $('complaint-form').addEventListener('submit', onComplaint);
  window.addEventListener('online', () => sync());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') sync();
  });
  window.addEventListener('offline', () => renderSync());
  window.addEventListener('hashchange', () => setScreen(location.hash.slice(1)));
}

async function start() {
  translatePage();
  wire();
  $('register-form').device.value = t('register.device.default');
  $('tabs').hidden = false;
  if ('serviceWorker' in navigator) {
    // A new build's worker takes over at once; offer to reload rather than reload under the
    // person's fingers (a half-typed enrollment would be lost).
    const hadWorker = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (hadWorker) flash(t('app.updated'), 'update');
    });
    navigator.serviceWorker.register('/sw.js').catch((err) => console.warn('service worker:', err));
  }
  try {
    await init();
    app.db = await openDb();
    app.device = WebDevice.open(await readAll(app.db));
  } catch (err) {
    flash(t('error.start', { msg: messageOf(err) }), 'error');
    document.body.dataset.ready = 'failed';
    return;
  }
  setScreen(location.hash.slice(1));
  document.body.dataset.ready = 'true';
  sync();
  setInterval(() => sync(), SYNC_EVERY_MS);
}

start();
