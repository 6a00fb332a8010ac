// Evaluation: per-label precision / recall / F1, the confusion matrix as a heatmap,
// entity-level scores for NER, and before/after fine-tuning, for a model version's
// training reports or a stored evaluation.

import { api, formatTime, h, num, param, showError, stageLabel } from './api.js';
import { heatmapTable } from './charts.js';

const $ = (id) => document.getElementById(id);
const body = $('eval-body');
const state = { models: [], report: null, evaluations: [] };
const REPORT_NAMES = {
  test: 'test data, after fine-tuning',
  after: 'validation, after fine-tuning',
  before: 'before fine-tuning',
};

function scoresTable(id, caption, rows, firstColumn) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', id },
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [firstColumn, 'precision', 'recall', 'F1', 'support'].map((t, i) =>
            h('th', { scope: 'col', class: i ? 'num' : '' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        Object.entries(rows).map(([name, s]) =>
          h(
            'tr',
            { dataset: { label: name } },
            h('th', { scope: 'row' }, name),
            h('td', { class: 'num' }, num(s.precision)),
            h('td', { class: 'num' }, num(s.recall)),
            h('td', { class: 'num' }, num(s.f1)),
            h('td', { class: 'num' }, String(s.support)),
          ),
        ),
      ),
    ),
  );
}

function headline(report) {
  const items = [
    ['Task', report.task],
    ['Split', report.split],
    ['Examples', report.num_examples],
    ['Accuracy', num(report.accuracy)],
    ['Macro F1', num(report.macro_f1)],
  ];
  if (report.entities) items.push(['Entity F1', num(report.entities['micro avg']?.f1)]);
  if (typeof report.loss === 'number') items.push(['Loss', num(report.loss, 4)]);
  for (const [k, v] of Object.entries(report)) {
    if (typeof v === 'number' && !['accuracy', 'macro_f1', 'loss', 'num_examples'].includes(k))
      items.push([k, num(v)]);
  }
  return h(
    'dl',
    { class: 'stats', id: 'eval-headline' },
    items.map(([k, v]) => h('div', { class: 'stat' }, h('dt', {}, k), h('dd', {}, String(v ?? '–')))),
  );
}

function comparisonTable(comparison) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', id: 'before-after' },
      h(
        'caption',
        { class: 'visually-hidden' },
        'Before and after fine-tuning: the untrained head against the fine-tuned model, same data',
      ),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['metric', 'before', 'after', 'change'].map((t, i) =>
            h('th', { scope: 'col', class: i ? 'num' : '' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        Object.entries(comparison).map(([metric, c]) =>
          h(
            'tr',
            { dataset: { metric } },
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

function epochsTable(evaluations) {
  const names = [...new Set(evaluations.flatMap((e) => Object.keys(e.metrics || {})))];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data', id: 'epoch-table' },
      h('caption', { class: 'visually-hidden' }, 'Validation after each epoch'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'epoch'),
          names.map((n) => h('th', { scope: 'col', class: 'num' }, n)),
        ),
      ),
      h(
        'tbody',
        {},
        evaluations.map((e) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, String(e.epoch)),
            names.map((n) => h('td', { class: 'num' }, num(e.metrics[n], 4))),
          ),
        ),
      ),
    ),
  );
}

const card = (title, ...content) => h('section', { class: 'card' }, h('h2', {}, title), ...content);

/** Everything one evaluation report shows. */
function renderReport(report, extras = {}) {
  const first = [];
  const second = [];
  if (report.report) {
    const title = report.entities ? 'Token-level scores per tag' : 'Scores per label';
    first.push(card(title, scoresTable('label-table', `${title} (${report.split})`, report.report, 'label')));
  }
  if (report.confusion_matrix && report.labels) {
    first.push(
      h(
        'section',
        { class: 'card', id: 'confusion' },
        h('h2', {}, 'Confusion matrix'),
        h(
          'p',
          { class: 'hint' },
          'Rows are gold labels, columns predictions; shading is the share of the row.',
        ),
        h(
          'div',
          { class: 'table-wrap' },
          heatmapTable(report.labels, report.confusion_matrix, `Confusion matrix (${report.split})`),
        ),
      ),
    );
  }
  if (report.entities) {
    second.push(
      card(
        'Entity-level scores (strict IOB2)',
        scoresTable(
          'entity-table',
          'Entity-level precision, recall and F1 per entity type',
          report.entities,
          'entity type',
        ),
      ),
    );
  }
  if (extras.comparison)
    second.push(card('Before and after fine-tuning', comparisonTable(extras.comparison)));
  const parts = [headline(report), h('div', { class: 'grid' }, first), h('div', { class: 'grid' }, second)];
  if (extras.evaluations?.length)
    parts.push(card('Validation after each epoch', epochsTable(extras.evaluations)));
  body.replaceChildren(...parts);
}

function selectedModel() {
  return state.models.find((m) => m.name === $('e-model').value);
}

function fillVersions(wanted) {
  const model = selectedModel();
  const versions = model ? model.versions.slice().reverse() : [];
  $('e-version').replaceChildren(
    ...versions.map((v) => h('option', { value: v.version }, `v${v.version} (${stageLabel(v.stage)})`)),
  );
  if (wanted && versions.some((v) => String(v.version) === String(wanted))) $('e-version').value = wanted;
}

async function loadSources(wantedEvaluation) {
  const name = encodeURIComponent($('e-model').value);
  const version = $('e-version').value;
  if (!name || !version) {
    body.replaceChildren(h('p', { class: 'muted' }, 'No registered model yet.'));
    return;
  }
  const [report, stored] = await Promise.all([
    api(`/v1/models/${name}/versions/${version}/report`),
    api(`/v1/evaluations?model_name=${name}&limit=100`),
  ]);
  state.report = report;
  state.evaluations = stored.data.filter((e) => String(e.version) === String(version));
  const options = ['test', 'after', 'before']
    .filter((k) => report.reports[k])
    .map((k) => h('option', { value: `training:${k}` }, `training report: ${REPORT_NAMES[k]}`));
  options.push(
    ...state.evaluations.map((e) =>
      h('option', { value: `stored:${e.id}` }, `stored evaluation ${e.id} (${formatTime(e.created_at)})`),
    ),
  );
  $('e-source').replaceChildren(
    ...(options.length ? options : [h('option', { value: '' }, 'no report saved')]),
  );
  if (wantedEvaluation) $('e-source').value = `stored:${wantedEvaluation}`;
  show();
}

function show() {
  const [kind, key] = $('e-source').value.split(':');
  if (kind === 'training') {
    renderReport(state.report.reports[key], {
      comparison: state.report.comparison,
      evaluations: state.report.evaluations,
    });
  } else if (kind === 'stored') {
    renderReport(state.evaluations.find((e) => e.id === key).report);
  } else {
    body.replaceChildren(
      h('p', { class: 'muted' }, 'This version has no saved report: run an evaluation on a stored dataset.'),
    );
  }
  const url = new URL(location.href);
  url.searchParams.set('model', $('e-model').value);
  url.searchParams.set('version', $('e-version').value);
  if (kind === 'stored') url.searchParams.set('evaluation', key);
  else url.searchParams.delete('evaluation');
  history.replaceState(null, '', url);
}

async function start() {
  const [models, datasets] = await Promise.all([api('/v1/models'), api('/v1/datasets?limit=500')]);
  state.models = models.data;
  $('e-model').replaceChildren(
    ...state.models.map((m) => h('option', { value: m.name }, `${m.name} (${m.task})`)),
  );
  $('e-dataset').replaceChildren(
    ...datasets.data.map((d) => h('option', { value: d.id }, `${d.name} (${d.num_examples} examples)`)),
  );
  if (param('model')) $('e-model').value = param('model');
  fillVersions(param('version'));
  await loadSources(param('evaluation'));
  performance.mark('oi:first-content');
}

$('e-model').addEventListener('change', () => {
  fillVersions();
  loadSources().catch((e) => showError(body, e));
});
$('e-version').addEventListener('change', () => loadSources().catch((e) => showError(body, e)));
$('e-source').addEventListener('change', show);
$('eval-pick').addEventListener('submit', (event) => event.preventDefault());
$('eval-run-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const out = $('eval-run-status');
  out.textContent = 'Scoring…';
  try {
    const row = await api('/v1/evaluations', {
      method: 'POST',
      json: {
        model_name: $('e-model').value,
        version: Number($('e-version').value),
        dataset_id: $('e-dataset').value,
      },
    });
    out.textContent = `Stored ${row.id}.`;
    await loadSources(row.id);
  } catch (error) {
    showError(out, error);
  }
});

start().catch((error) => showError(body, error));
