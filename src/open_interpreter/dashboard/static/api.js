// Shared by every page: the API key, calls to the /v1 API, server-sent event streams,
// building DOM nodes and formatting numbers, times and statuses.

const KEY_STORAGE = 'oi.apiKey';
const authRequired = document.body.dataset.auth === 'true';

/** An API answer that was not 2xx; `problem` is the JSON problem details body. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

let resolveKey;
let reloadOnSave = false; // a key was refused: what failed must run again
const keyReady = new Promise((resolve) => {
  resolveKey = resolve;
});

/** The stored API key ('' when none). */
export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || '';
}

function setupKey() {
  if (!authRequired) {
    resolveKey();
    return;
  }
  const dialog = document.getElementById('key-dialog');
  const form = document.getElementById('key-form');
  const label = document.getElementById('key-label');
  label.textContent = apiKey() ? `Key ${apiKey().slice(0, 7)}…` : 'No API key';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = document.getElementById('key-input').value.trim();
    if (!value) return;
    const replacing = reloadOnSave || Boolean(apiKey());
    localStorage.setItem(KEY_STORAGE, value);
    dialog.close();
    if (replacing) location.reload();
    label.textContent = `Key ${value.slice(0, 7)}…`;
    resolveKey();
  });
  document.getElementById('key-cancel').addEventListener('click', () => dialog.close());
  document.getElementById('key-change').addEventListener('click', () => askForKey());
  if (apiKey()) resolveKey();
  else askForKey();
}

/** Open the key dialog, with `message` when a key was refused. */
export function askForKey(message) {
  const dialog = document.getElementById('key-dialog');
  if (!dialog || dialog.open) return;
  if (message) document.getElementById('key-message').textContent = message;
  dialog.showModal();
  document.getElementById('key-input').focus();
}

/**
 * Call the API. `json` is sent as a JSON body, `form` as multipart; the result is the
 * parsed JSON (or the Response itself with `raw: true`). Throws ApiError on 4xx/5xx.
 */
export async function api(path, { method = 'GET', json, form, signal, raw = false, accept } = {}) {
  await keyReady;
  const headers = {};
  if (authRequired && apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
  if (accept) headers.Accept = accept;
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  const response = await fetch(path, { method, headers, body, signal });
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      /* not JSON */
    }
    if (response.status === 401 && authRequired) {
      localStorage.removeItem(KEY_STORAGE);
      reloadOnSave = true;
      askForKey(`The server refused the key: ${problem.detail || 'unauthorized'}. Enter another.`);
    }
    throw new ApiError(response.status, problem);
  }
  if (raw) return response;
  return response.status === 204 ? null : response.json();
}

/** Parse one SSE block ("id: 3\nevent: step\ndata: {...}") into {id, type, data}. */
export function parseEventBlock(block) {
  let type = 'message';
  let id = null;
  const data = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (!data.length) return null;
  const text = data.join('\n');
  try {
    return { id, type, data: JSON.parse(text) };
  } catch {
    return { id, type, data: text };
  }
}

/**
 * Follow a server-sent event stream (GET or POST) with the API key, which EventSource
 * cannot send. Calls onEvent({id, type, data}) per event; returning false stops reading.
 */
export async function streamEvents(path, { method = 'GET', json, signal, onEvent }) {
  const response = await api(path, { method, json, signal, raw: true, accept: 'text/event-stream' });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, '\n');
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = parseEventBlock(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (event && onEvent(event) === false) {
        await reader.cancel();
        return;
      }
    }
  }
}

/** Whether an ApiError says the route itself does not exist (rather than, say, a model). */
export function isMissingRoute(error) {
  return error instanceof ApiError && error.status === 404 && error.problem.detail === 'Not Found';
}

/** Whether the server has a route at `path` (a 404 means it does not). */
export async function routeExists(path) {
  try {
    const response = await fetch(path, { method: 'GET' });
    return response.status !== 404;
  } catch {
    return false;
  }
}

/** Create an element: h('a', {href: '/'}, 'text', child). Strings become text, never HTML. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Show an error (an ApiError's detail, or any error's message) in `target`. */
export function showError(target, error) {
  const text =
    error instanceof ApiError
      ? `${error.problem.title || 'error'}: ${error.message}`
      : String(error.message || error);
  target.replaceChildren(h('p', { class: 'error', role: 'alert' }, text));
}

/** A number with `digits` decimals, or an en dash when missing. */
export function num(value, digits = 3) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** A server time (UTC, ISO without a zone) as a Date. */
export function parseTime(text) {
  if (!text) return null;
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
}

/** A short local date and time. */
export function formatTime(text) {
  const date = parseTime(text);
  return date ? date.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }) : '–';
}

/** Seconds as "1h 02m", "3m 04s" or "12s". */
export function formatDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Bytes as "512 MB" / "1.4 GB". */
export function formatBytes(bytes) {
  if (typeof bytes !== 'number') return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** How long a job ran (or has been running). */
export function jobSeconds(job) {
  const started = parseTime(job.started_at);
  if (!started) return null;
  const ended = parseTime(job.finished_at) || new Date();
  return (ended - started) / 1000;
}

/** A status badge whose text is the status. */
export function badge(status) {
  return h('span', { class: `badge ${status}` }, status);
}

/** A registry stage in words: 'none' (registered, not in use by default) reads 'registered'. */
export function stageLabel(stage) {
  return stage === 'none' ? 'registered' : stage;
}

/** Query-string parameter `name` of this page. */
export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

setupKey();
