// Run: one fine-tune followed live over server-sent events: loss and learning-rate curves,
// validation metrics per epoch, throughput, ETA, resources, logs, cancel, final report.

import {
  ApiError,
  api,
  badge,
  formatBytes,
  formatDuration,
  h,
  jobSeconds,
  num,
  parseTime,
  showError,
  stageLabel,
  streamEvents,
} from './api.js';
import { LineChart, last } from './charts.js';

const jobId = document.getElementById('run').dataset.jobId;
const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);
const $ = (id) => document.getElementById(id);

const curves = {
  loss: { name: 'training loss', x: [], y: [] },
  validationLoss: { name: 'validation loss', x: [], y: [], dash: 'dot' },
  lr: { name: 'learning rate', x: [], y: [] },
};
const metricCurves = new Map(); // metric name -> {name, x: epochs, y}
const evaluations = [];
let job = null;
let lastEventId = 0;
let ended = false;

const lossChart = new LineChart($('loss-chart'), {
  title: 'Loss per step',
  xTitle: 'step',
  yTitle: 'loss',
  summary: () =>
    curves.loss.y.length
      ? `Latest training loss ${num(last(curves.loss), 4)} at step ${last({ y: curves.loss.x })}.`
      : 'No steps yet.',
});
const lrChart = new LineChart($('lr-chart'), {
  title: 'Learning rate per step',
  xTitle: 'step',
  yTitle: 'learning rate',
  summary: () => (curves.lr.y.length ? `Learning rate now ${last(curves.lr).toExponential(2)}.` : ''),
});
const evalChart = new LineChart($('eval-chart'), {
  title: 'Validation metrics per epoch',
  xTitle: 'epoch',
  yTitle: 'score',
  yRange: [0, 1.05],
  summary: (series) => series.map((s) => `${s.name} ${num(last(s))}`).join(', '),
});

function trimFrom(curve, step) {
  // A resumed run repeats steps after its checkpoint: keep only what came before.
  while (curve.x.length && curve.x[curve.x.length - 1] >= step) {
    curve.x.pop();
    curve.y.pop();
  }
}

function onStep(data) {
  for (const curve of [curves.loss, curves.lr]) trimFrom(curve, data.step);
  if (typeof data.loss === 'number') {
    curves.loss.x.push(data.step);
    curves.loss.y.push(data.loss);
  }
  if (typeof data.learning_rate === 'number') {
    curves.lr.x.push(data.step);
    curves.lr.y.push(data.learning_rate);
  }
  lossChart.set([curves.loss, curves.validationLoss].filter((c) => c.x.length));
  lrChart.set([curves.lr]);
}

function onEvaluation(data) {
  const metrics = data.metrics || {};
  evaluations.push(data);
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') continue;
    if (name === 'loss') {
      curves.validationLoss.x.push(data.step);
      curves.validationLoss.y.push(value);
      continue;
    }
    if (!metricCurves.has(name)) metricCurves.set(name, { name, x: [], y: [] });
    metricCurves.get(name).x.push(data.epoch);
    metricCurves.get(name).y.push(value);
  }
  evalChart.set([...metricCurves.values()]);
  lossChart.set([curves.loss, curves.validationLoss].filter((c) => c.x.length));
  renderEvaluations();
}

function renderEvaluations() {
  const names = [...new Set(evaluations.flatMap((e) => Object.keys(e.metrics || {})))];
  const table = $('eval-table');
  table.tHead.replaceChildren(
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Epoch'),
      h('th', { scope: 'col' }, 'Step'),
      names.map((n) => h('th', { scope: 'col', class: 'num' }, n)),
    ),
  );
  table.tBodies[0].replaceChildren(
    ...evaluations.map((e) =>
      h(
        'tr',
        {},
        h('td', {}, String(e.epoch)),
        h('td', {}, String(e.step)),
        names.map((n) => h('td', { class: 'num' }, num(e.metrics[n], 4))),
      ),
    ),
  );
}

function addLog(text, time, detail) {
  const stamp = time ? parseTime(time).toLocaleTimeString() : '';
  const entry = h('p', {}, h('time', {}, stamp), text);
  if (detail) entry.append(h('details', {}, h('summary', {}, 'traceback'), h('pre', {}, detail)));
  const log = $('run-log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  log.append(entry);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function onEvent(event) {
  if (event.id) lastEventId = Number(event.id);
  const data = event.data || {};
  if (event.type === 'step') onStep(data);
  else if (event.type === 'evaluation') onEvaluation(data);
  else if (event.type === 'status') {
    addLog(
      `status: ${data.status}${data.reason ? ` (${data.reason})` : ''}${data.error ? ` — ${data.error}` : ''}`,
      data.created_at,
    );
  } else if (event.type === 'log') addLog(data.message, data.created_at, data.traceback);
  else if (event.type === 'end') {
    ended = true;
    refreshJob();
    return false;
  }
  return true;
}

async function follow() {
  while (!ended) {
    try {
      await streamEvents(`/v1/fine-tunes/${jobId}/events?after=${lastEventId}`, { onEvent });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) {
        showError($('run-error'), error);
        $('run-error').hidden = false;
        return;
      }
    }
    if (!ended)
      await new Promise((resolve) => {
        setTimeout(resolve, 1000);
      });
  }
}

function renderJob() {
  const p = job.progress || {};
  $('run-status').replaceChildren(
    badge(job.status),
    job.cancel_requested && job.status === 'running' ? ' cancelling…' : '',
  );
  $('s-model').textContent = job.model_name;
  $('s-base').textContent = job.config?.model?.split('/').filter(Boolean).pop() || '–';
  $('s-base').title = job.config?.model || '';
  $('s-step').textContent = p.total_steps ? `${p.step ?? 0} / ${p.total_steps}` : '–';
  $('s-loss').textContent = num(p.loss, 4);
  $('s-throughput').textContent =
    typeof p.samples_per_second === 'number' ? `${p.samples_per_second.toFixed(1)} samples/s` : '–';
  $('s-eta').textContent = job.status === 'running' ? formatDuration(p.eta_seconds) : '–';
  $('s-duration').textContent = formatDuration(jobSeconds(job));
  $('s-best').textContent = p.best_metric ? `${p.best_metric.name} ${num(p.best_metric.value)}` : '–';
  const r = p.resources;
  $('s-resources').textContent = r ? `${Math.round(r.cpu_percent)}% · ${formatBytes(r.rss_bytes)}` : '–';
  const done =
    job.status === 'succeeded' ? 100 : p.total_steps ? Math.floor((100 * (p.step || 0)) / p.total_steps) : 0;
  $('run-progress').setAttribute('aria-valuenow', String(done));
  $('run-progress').firstElementChild.style.width = `${done}%`;
  $('cancel-button').hidden = FINISHED.has(job.status) || job.cancel_requested;
  if (job.error) {
    $('run-error').replaceChildren(h('p', { class: 'error', role: 'alert' }, `${job.status}: ${job.error}`));
    $('run-error').hidden = false;
  }
}

async function refreshJob() {
  try {
    job = await api(`/v1/fine-tunes/${jobId}`);
  } catch (error) {
    showError($('run-error'), error);
    $('run-error').hidden = false;
    return;
  }
  renderJob();
  if ($('s-dataset').textContent === '…')
    $('s-dataset').textContent = job.train_dataset_id || `local data (a ${job.source} run)`;
  if (FINISHED.has(job.status) && ended) showFinalReport();
}

async function showFinalReport() {
  if (job.status !== 'succeeded' || !$('final-report').hidden) return;
  const name = encodeURIComponent(job.model_name);
  const model = await api(`/v1/models/${name}`).catch(() => null);
  const version = model?.versions.find((v) => v.job_id === job.id);
  if (!version) return;
  const report = await api(`/v1/models/${name}/versions/${version.version}/report`);
  const body = $('final-body');
  body.replaceChildren(
    h(
      'p',
      {},
      'Registered as ',
      h('a', { href: `/models#model-${job.model_name}` }, job.model_name),
      ` version ${version.version} (${stageLabel(version.stage)}). `,
      h(
        'a',
        { href: `/evaluation?model=${name}&version=${version.version}` },
        'Full evaluation: per-label scores and confusion matrix',
      ),
    ),
    comparisonTable(report.comparison),
    h(
      'p',
      { class: 'muted' },
      `${report.summary.steps ?? '–'} steps in ${formatDuration(report.summary.train_seconds)}, `,
      `${num(report.summary.samples_per_second, 1)} samples/s.`,
    ),
    h('pre', {}, (report.reports.test || report.reports.after || {}).text || ''),
  );
  $('final-report').hidden = false;
}

function comparisonTable(comparison) {
  if (!comparison) return '';
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', id: 'final-comparison' },
      h('caption', {}, 'Before and after fine-tuning'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Metric', 'Before', 'After', 'Change'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        Object.entries(comparison).map(([metric, c]) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, metric),
            h('td', { class: 'num' }, num(c.before)),
            h('td', { class: 'num' }, num(c.after)),
            h('td', { class: 'num' }, `${c.change >= 0 ? '+' : ''}${num(c.change)}`),
          ),
        ),
      ),
    ),
  );
}

$('loss-log').addEventListener('change', (event) => lossChart.configure({ logY: event.target.checked }));
$('cancel-button').addEventListener('click', async () => {
  const button = $('cancel-button');
  button.disabled = true;
  try {
    job = await api(`/v1/fine-tunes/${jobId}/cancel`, { method: 'POST' });
    renderJob();
  } catch (error) {
    showError($('run-error'), error);
    $('run-error').hidden = false;
  } finally {
    button.disabled = false;
  }
});

async function start() {
  await refreshJob();
  if (!job) return;
  performance.mark('oi:first-content');
  if (job.train_dataset_id)
    api(`/v1/datasets/${job.train_dataset_id}`)
      .then((d) => {
        $('s-dataset').textContent = d.name;
      })
      .catch(() => {});
  const poll = setInterval(() => {
    if (job && FINISHED.has(job.status) && ended) clearInterval(poll);
    else refreshJob();
  }, 2000);
  follow();
}

start();
