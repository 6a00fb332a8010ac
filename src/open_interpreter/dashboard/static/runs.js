// Runs: every fine-tune job, filtered and sorted, selected for comparison; the launch form.

import { api, badge, formatDuration, formatTime, h, jobSeconds, num, showError } from './api.js';

const table = document.getElementById('runs-table');
const tbody = table.querySelector('tbody');
const count = document.getElementById('runs-count');
const compareButton = document.getElementById('compare-button');
const statusFilter = document.getElementById('status-filter');
const textFilter = document.getElementById('text-filter');

const state = {
  jobs: [],
  total: 0, // runs on the server; the page lists the newest 500
  datasets: new Map(),
  versionMetrics: new Map(), // job id -> headline metric of the version it registered
  sort: { key: 'created', descending: true },
  selected: new Set(),
};

const SORT_VALUES = {
  id: (job) => job.id,
  status: (job) => job.status,
  model: (job) => job.model_name,
  base: (job) => baseModel(job),
  dataset: (job) => datasetName(job.train_dataset_id),
  best: (job) => bestMetric(job)?.value ?? -Infinity,
  duration: (job) => jobSeconds(job) ?? -1,
  created: (job) => job.created_at,
};

function baseModel(job) {
  const name = (job.config && job.config.model) || '';
  return name.includes('/') && name.startsWith('/') ? name.split('/').filter(Boolean).pop() : name;
}

function datasetName(id) {
  return state.datasets.get(id)?.name || id || '';
}

/** The best validation metric the job recorded, else its registered version's headline. */
function bestMetric(job) {
  return job.progress?.best_metric || state.versionMetrics.get(job.id) || null;
}

function visibleJobs() {
  const status = statusFilter.value;
  const text = textFilter.value.trim().toLowerCase();
  const rows = state.jobs.filter((job) => {
    if (status && job.status !== status) return false;
    if (!text) return true;
    return [job.id, job.model_name, baseModel(job), datasetName(job.train_dataset_id)].some((value) =>
      value.toLowerCase().includes(text),
    );
  });
  const value = SORT_VALUES[state.sort.key];
  const sign = state.sort.descending ? -1 : 1;
  return rows.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}

function progressText(job) {
  const p = job.progress || {};
  if (job.status !== 'running' || !p.total_steps) return '';
  return ` ${Math.floor((100 * (p.step || 0)) / p.total_steps)}%`;
}

function row(job) {
  const best = bestMetric(job);
  const checkbox = h('input', {
    type: 'checkbox',
    'aria-label': `Compare ${job.id}`,
    checked: state.selected.has(job.id),
    onchange: (event) => {
      if (event.target.checked) state.selected.add(job.id);
      else state.selected.delete(job.id);
      compareButton.disabled = state.selected.size < 2;
    },
  });
  const base = job.config?.model || '';
  // data-label names each cell where narrow screens show rows as cards.
  return h(
    'tr',
    { dataset: { id: job.id, status: job.status } },
    h('td', { class: 'select' }, checkbox),
    h('td', { dataset: { label: 'Run' } }, h('a', { href: `/runs/${job.id}`, class: 'mono' }, job.id)),
    h('td', { dataset: { label: 'Status' } }, badge(job.status), progressText(job)),
    h('td', { dataset: { label: 'Model' } }, job.model_name),
    h('td', { title: base, dataset: { label: 'Base model' } }, baseModel(job)),
    h('td', { dataset: { label: 'Dataset' } }, datasetName(job.train_dataset_id)),
    h(
      'td',
      { class: 'num', dataset: { label: 'Best metric' } },
      best ? `${best.name} ${num(best.value)}` : '–',
    ),
    h('td', { class: 'num', dataset: { label: 'Duration' } }, formatDuration(jobSeconds(job))),
    h('td', { dataset: { label: 'Created' } }, formatTime(job.created_at)),
  );
}

function render() {
  const rows = visibleJobs();
  tbody.replaceChildren(
    ...(rows.length
      ? rows.map(row)
      : [
          h(
            'tr',
            {},
            h(
              'td',
              { colspan: 9, class: 'muted' },
              state.jobs.length
                ? 'No run matches the filters.'
                : 'No runs yet: launch one with “New fine-tune”.',
            ),
          ),
        ]),
  );
  const more = state.total > state.jobs.length ? ` (the newest ${state.jobs.length} of ${state.total})` : '';
  count.textContent = `${rows.length} of ${state.jobs.length} runs${more}`;
  for (const th of table.querySelectorAll('th[data-key]')) {
    const sorted = th.dataset.key === state.sort.key;
    th.setAttribute('aria-sort', sorted ? (state.sort.descending ? 'descending' : 'ascending') : 'none');
  }
}

async function loadJobs() {
  const [jobs, datasets] = await Promise.all([
    api('/v1/fine-tunes?limit=500'),
    api('/v1/datasets?limit=500'),
  ]);
  state.jobs = jobs.data;
  state.total = jobs.count;
  state.datasets = new Map(datasets.data.map((d) => [d.id, d]));
  render();
  fillDatasetSelects(datasets.data);
}

async function loadVersionMetrics() {
  const models = await api('/v1/models');
  for (const model of models.data) {
    for (const version of model.versions) {
      if (!version.job_id) continue;
      const metrics = version.metrics.after || version.metrics.test || {};
      const name = ['entity_f1', 'accuracy', 'loss'].find((m) => typeof metrics[m] === 'number');
      if (name) state.versionMetrics.set(version.job_id, { name, value: metrics[name] });
    }
  }
  render();
}

async function start() {
  try {
    await loadJobs();
    performance.mark('oi:first-content');
  } catch (error) {
    showError(tbody.parentElement.parentElement, error);
    return;
  }
  loadVersionMetrics().catch(() => {
    /* a predict-scope listing is a nicety here */
  });
  setInterval(() => {
    if (state.jobs.some((job) => job.status === 'running' || job.status === 'queued')) {
      loadJobs().catch(() => {});
    }
  }, 3000);
}

for (const th of table.querySelectorAll('th[data-key]')) {
  th.querySelector('button').addEventListener('click', () => {
    const key = th.dataset.key;
    state.sort = {
      key,
      descending: state.sort.key === key ? !state.sort.descending : key === 'created' || key === 'best',
    };
    render();
  });
}
statusFilter.addEventListener('change', render);
textFilter.addEventListener('input', render);
compareButton.addEventListener('click', () => {
  location.href = `/compare?ids=${[...state.selected].join(',')}`;
});

// The launch form.
const launch = document.getElementById('launch');
const toggle = document.getElementById('launch-toggle');
const form = document.getElementById('launch-form');
const status = document.getElementById('launch-status');

toggle.addEventListener('click', () => {
  launch.hidden = !launch.hidden;
  toggle.setAttribute('aria-expanded', String(!launch.hidden));
  if (!launch.hidden) document.getElementById('f-name').focus();
});

for (const radio of form.querySelectorAll('input[name="source"]')) {
  radio.addEventListener('change', () => {
    const upload = form.source.value === 'upload';
    document.getElementById('upload-fields').hidden = !upload;
    document.getElementById('pick-fields').hidden = upload;
  });
}

document.getElementById('f-peft').addEventListener('change', (event) => {
  for (const id of ['f-peft-method', 'f-peft-r'])
    document.getElementById(id).disabled = !event.target.checked;
});

function fillDatasetSelects(datasets) {
  const train = document.getElementById('f-train');
  const validation = document.getElementById('f-validation');
  const chosen = [train.value, validation.value];
  const options = datasets.map((d) =>
    h('option', { value: d.id }, `${d.name} (${d.num_examples} examples, ${d.id})`),
  );
  train.replaceChildren(
    h('option', { value: '' }, datasets.length ? 'choose…' : 'no datasets yet: upload one'),
    ...options,
  );
  validation.replaceChildren(h('option', { value: '' }, 'none'), ...options.map((o) => o.cloneNode(true)));
  [train.value, validation.value] = chosen;
}

/** The job body the form describes (PEFT only when switched on). */
export function jobBody(values, trainDatasetId) {
  const config = {
    model: values.model,
    task: values.task,
    learning_rate: Number(values.learning_rate),
    epochs: Number(values.epochs),
    batch_size: Number(values.batch_size),
    warmup_ratio: Number(values.warmup_ratio),
  };
  if (values.peft) config.peft = { method: values.peft_method, r: Number(values.peft_r) };
  const body = { model_name: values.model_name, train_dataset_id: trainDatasetId, config };
  if (values.validation_dataset_id) body.validation_dataset_id = values.validation_dataset_id;
  const resources = jobResources(values);
  if (resources) body.resources = resources;
  return body;
}

/** The resources asked for beyond the defaults (1 process, no GPU, memory not stated). */
function jobResources(values) {
  const asked = {};
  const processes = Number(values.processes || 1);
  const gpus = Number(values.gpus || 0);
  const memory = Number(values.memory_gb || 0);
  if (processes !== 1) asked.processes = processes;
  if (gpus) asked.gpus = gpus;
  if (memory) asked.memory_gb = memory;
  return Object.keys(asked).length ? asked : null;
}

async function trainingDataset(values) {
  if (form.source.value === 'pick') {
    if (!values.train_dataset_id) throw new Error('choose a training dataset, or upload one');
    return values.train_dataset_id;
  }
  const file = document.getElementById('f-file').files[0];
  if (!file) throw new Error('choose a file to upload');
  const upload = new FormData();
  upload.append('file', file);
  if (values.format !== 'auto') upload.append('format', values.format);
  status.textContent = `Uploading ${file.name}…`;
  const dataset = await api('/v1/datasets', { method: 'POST', form: upload });
  return dataset.id;
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!form.reportValidity()) return;
  const values = Object.fromEntries(new FormData(form));
  values.peft = document.getElementById('f-peft').checked;
  values.peft_method = document.getElementById('f-peft-method').value;
  values.peft_r = document.getElementById('f-peft-r').value;
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const datasetId = await trainingDataset(values);
    status.textContent = 'Queueing the job…';
    const job = await api('/v1/fine-tunes', { method: 'POST', json: jobBody(values, datasetId) });
    if (job.warnings?.length) {
      // queued, but no running worker fits it now: say why it may wait, let the user go on
      status.replaceChildren(
        h('span', {}, `Queued ${job.id}, but ${job.warnings.join(' ')} `),
        h('a', { href: `/runs/${job.id}` }, 'Open the run'),
      );
      button.disabled = false;
      return;
    }
    status.textContent = `Queued ${job.id}`;
    location.href = `/runs/${job.id}`;
  } catch (error) {
    showError(status, error);
    button.disabled = false;
  }
});

start();
