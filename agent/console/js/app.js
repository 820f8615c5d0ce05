// The console's entry: who is logged in, and which page the location hash names.
import { api, ApiError, describe, setCsrf, setRole } from './api.js';
import { h, message, show } from './dom.js';
import { searchPage } from './search.js';
import { recordingPage } from './recording.js';
import { dsarPage } from './dsar.js';
import { livePage } from './live.js';
import { grantsPage } from './grants.js';

const view = document.getElementById('view');
/** The logged-in user ({username, role, agentId, timeZone, …}) or null. */
let me = null;
/** Called when the page is left: stops its audio. */
let leave = () => {};

export function session() {
  return me;
}

/** Any 401 ends the page's session: stop everything and show the login form with a message. */
export function expired() {
  leave();
  leave = () => {};
  me = null;
  setCsrf('');
  setRole('');
  renderChrome();
  message('Your session has expired. Log in again.');
  loginPage();
}

/** Shows an API error; a 401 leads to the login page. */
export function fail(err) {
  if (err instanceof ApiError && err.status === 401) expired();
  else message(describe(err));
}

function renderChrome() {
  document.getElementById('nav').hidden = me === null;
  document.getElementById('nav-dsar').hidden = me?.role !== 'dpo';
  document.getElementById('nav-grants').hidden = me?.role !== 'dpo';
  document.getElementById('nav-live').hidden = me === null || me.role === 'qa';
  document.getElementById('logout').hidden = me === null;
  document.getElementById('whoami').textContent = me ? `${me.username} (${me.role})` : '';
  document.getElementById('zone').textContent = me ? `Times in ${me.timeZone}` : '';
}

function loginPage() {
  const form = h(
    'form',
    { class: 'login panel', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in'),
    h('label', { for: 'username' }, 'User name'),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true }),
    h('label', { for: 'password' }, 'Password'),
    h('input', {
      id: 'password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: true,
    }),
    h('label', { for: 'otp' }, 'One-time code (if your account has one)'),
    h('input', { id: 'otp', name: 'otp', inputmode: 'numeric', autocomplete: 'one-time-code' }),
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { username: form.username.value, password: form.password.value, cookie: true };
    if (form.otp.value) body.otp = form.otp.value;
    try {
      const r = await api('POST', '/session', body);
      setCsrf(r.csrf);
      message('');
      await start();
    } catch (err) {
      message(describe(err));
    }
  });
  show(view, form);
  form.username.focus();
}

async function route() {
  leave();
  leave = () => {};
  if (me === null) return loginPage();
  const [, page, id] = (location.hash || '#/search').split('/');
  const ctx = { view, me, fail };
  if (page === 'recording' && id) leave = (await recordingPage(ctx, decodeURIComponent(id))) ?? leave;
  else if (page === 'dsar') dsarPage(ctx);
  else if (page === 'grants' && me.role === 'dpo') grantsPage(ctx);
  else if (page === 'live') leave = livePage(ctx);
  else searchPage(ctx);
  view.focus();
}

async function start() {
  try {
    me = await api('GET', '/session');
    setCsrf(me.csrf);
    setRole(me.role);
  } catch (err) {
    me = null;
    if (!(err instanceof ApiError && err.status === 401)) message(describe(err));
  }
  renderChrome();
  await route();
  // The first page is usable from here (the console's load-time budget is measured to it).
  performance.mark('cv-ready');
}

document.getElementById('logout').addEventListener('click', async () => {
  leave();
  try {
    await api('DELETE', '/session');
  } catch {
    // Logged out either way: the page forgets the session.
  }
  me = null;
  setCsrf('');
  setRole('');
  renderChrome();
  message('Logged out.', 'info');
  loginPage();
});
window.addEventListener('hashchange', () => void route());
void start();
