// Compare: two or more runs on the same loss and validation-metric charts, with their
// settings and results side by side.

import { api, badge, formatDuration, h, jobSeconds, num, param, showError } from './api.js';
import { LineChart, last } from './charts.js';

const $ = (id) => document.getElementById(id);
const runs = new Map(); // id -> {job, loss: {x, y}, evaluations: []}
let selected = (param('ids') || '').split(',').filter(Boolean);

const lossChart = new LineChart($('compare-loss'), {
  title: 'Training loss per step',
  xTitle: 'step',
  yTitle: 'loss',
  summary: (series) => series.map((s) => `${s.name}: ${num(last(s), 4)}`).join('; '),
});
const metricChart = new LineChart($('compare-metric-chart'), {
  title: 'Validation metric per epoch',
  xTitle: 'epoch',
  yTitle: 'score',
  summary: (series) => series.map((s) => `${s.name}: ${num(last(s))}`).join('; '),
});

async function loadRun(id) {
  const [job, history] = await Promise.all([
    api(`/v1/fine-tunes/${id}`),
    api(`/v1/fine-tunes/${id}/history?types=step,evaluation`),
  ]);
  const loss = { x: [], y: [] };
  const evaluations = [];
  for (const event of history.data) {
    if (event.type === 'step' && typeof event.data.loss === 'number') {
      while (loss.x.length && loss.x[loss.x.length - 1] >= event.data.step) {
        loss.x.pop();
        loss.y.pop();
      }
      loss.x.push(event.data.step);
      loss.y.push(event.data.loss);
    } else if (event.type === 'evaluation') evaluations.push(event.data);
  }
  runs.set(id, { job, loss, evaluations });
}

function label(run) {
  return `${run.job.model_name} (${run.job.id.slice(-6)})`;
}

function metricNames() {
  const names = new Set();
  for (const id of selected)
    for (const e of runs.get(id)?.evaluations || [])
      Object.keys(e.metrics || {}).forEach((n) => names.add(n));
  return [...names];
}

function draw() {
  const shown = selected.map((id) => runs.get(id)).filter(Boolean);
  lossChart.set(shown.map((run) => ({ name: label(run), ...run.loss })));
  const select = $('compare-metric');
  const current = select.value;
  const names = metricNames();
  select.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
  const preferred = ['entity_f1', 'accuracy', 'macro_f1', 'loss'].find((n) => names.includes(n));
  select.value = names.includes(current) ? current : preferred || names[0] || '';
  const metric = select.value;
  metricChart.set(
    shown.map((run) => ({
      name: label(run),
      x: run.evaluations.map((e) => e.epoch),
      y: run.evaluations.map((e) => e.metrics[metric]),
    })),
  );
  renderTable(shown);
}

function renderTable(shown) {
  const rows = [
    ['Status', (run) => badge(run.job.status)],
    ['Model', (run) => run.job.model_name],
    ['Base model', (run) => (run.job.config.model || '').split('/').filter(Boolean).pop()],
    ['Learning rate', (run) => String(run.job.config.learning_rate)],
    ['Epochs', (run) => String(run.job.config.epochs)],
    ['Batch size', (run) => String(run.job.config.batch_size)],
    [
      'PEFT',
      (run) => (run.job.config.peft ? `${run.job.config.peft.method} r=${run.job.config.peft.r}` : 'off'),
    ],
    ['Steps', (run) => String(run.job.progress?.step ?? '–')],
    ['Final loss', (run) => num(last(run.loss), 4)],
    [
      'Best metric',
      (run) =>
        run.job.progress?.best_metric
          ? `${run.job.progress.best_metric.name} ${num(run.job.progress.best_metric.value)}`
          : '–',
    ],
    ['Duration', (run) => formatDuration(jobSeconds(run.job))],
  ];
  const table = $('compare-table');
  table.tHead.replaceChildren(
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Run'),
      shown.map((run) =>
        h('th', { scope: 'col' }, h('a', { href: `/runs/${run.job.id}`, class: 'mono' }, run.job.id)),
      ),
    ),
  );
  table.tBodies[0].replaceChildren(
    ...rows.map(([name, cell]) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, name),
        shown.map((run) => h('td', {}, cell(run))),
      ),
    ),
  );
}

function setSelected(ids) {
  selected = ids;
  const url = new URL(location.href);
  url.searchParams.set('ids', ids.join(','));
  history.replaceState(null, '', url);
}

async function renderChoices() {
  const jobs = await api('/v1/fine-tunes?limit=100');
  $('compare-choices').replaceChildren(
    ...jobs.data.map((job) =>
      h(
        'label',
        { class: 'inline-label' },
        h('input', {
          type: 'checkbox',
          value: job.id,
          checked: selected.includes(job.id),
          onchange: async (event) => {
            setSelected(
              event.target.checked ? [...selected, job.id] : selected.filter((id) => id !== job.id),
            );
            if (event.target.checked && !runs.has(job.id)) await loadRun(job.id);
            draw();
          },
        }),
        `${job.model_name} · ${job.id} · ${job.status}`,
      ),
    ),
  );
}

async function start() {
  await Promise.all(selected.map(loadRun));
  draw();
  performance.mark('oi:first-content');
  if (selected.length < 2) $('compare-pick').open = true;
  await renderChoices();
  setInterval(async () => {
    const live = selected.filter((id) => ['queued', 'running'].includes(runs.get(id)?.job.status));
    if (!live.length) return;
    await Promise.all(live.map(loadRun));
    draw();
  }, 3000);
}

$('compare-metric').addEventListener('change', draw);
$('compare-log').addEventListener('change', (event) => lossChart.configure({ logY: event.target.checked }));
start().catch((error) => showError($('compare-table').tBodies[0], error));
