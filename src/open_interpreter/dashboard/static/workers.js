// Resources page, Workers section: the workers sharing the database (GET /v1/workers,
// admin keys only), polled every 5 s: state, the job each runs, capacity, last seen.

import { ApiError, api, formatDuration, h, num, parseTime } from './api.js';

const table = document.getElementById('workers');
const note = document.getElementById('workers-note');
// The state's text is the state; the colour only repeats it (the job badges' colours).
const LOOK = { running: 'running', idle: 'queued', lost: 'failed', stopped: 'cancelled' };

function ago(text) {
  const then = parseTime(text);
  return then ? `${formatDuration(Math.max(0, (Date.now() - then) / 1000))} ago` : '–';
}

function row(worker) {
  const has = worker.capacity;
  return h(
    'tr',
    { dataset: { id: worker.id, state: worker.state } },
    h('td', { class: 'mono' }, worker.id),
    h('td', {}, h('span', { class: `badge ${LOOK[worker.state] || ''}` }, worker.state)),
    h(
      'td',
      {},
      worker.job_id ? h('a', { href: `/runs/${worker.job_id}`, class: 'mono' }, worker.job_id) : '–',
    ),
    h('td', {}, `${worker.host} · ${worker.pid}`),
    h('td', { class: 'num' }, has.processes),
    h('td', { class: 'num' }, has.gpus),
    h('td', { class: 'num' }, has.memory_mb ? `${num(has.memory_mb / 1024, 0)} GB` : '–'),
    h('td', { class: 'num' }, ago(worker.last_seen)),
  );
}

function message(text) {
  table.tBodies[0].replaceChildren(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, text)));
}

async function poll() {
  const answer = await api('/v1/workers?limit=100');
  if (!answer.data.length) message('No worker has registered: start one with `oi worker`.');
  else table.tBodies[0].replaceChildren(...answer.data.map(row));
  const live = answer.data.filter((w) => w.state === 'running' || w.state === 'idle').length;
  note.textContent =
    `${live} running or idle of ${answer.count}; ` +
    'a worker not seen for its lease timeout reads as lost.';
}

async function start() {
  try {
    await poll();
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      message('Listing workers needs an admin key.');
      return;
    }
    message(`Workers could not be read: ${error.message}`);
  }
  setInterval(() => poll().catch(() => {}), 5000);
}

start();
