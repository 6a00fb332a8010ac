// Models: the registry with every version's stage, metrics and lineage; promote, roll back.

import { api, formatTime, h, num, showError, stageLabel } from './api.js';

const container = document.getElementById('models');
const status = document.getElementById('models-status');

const HEADLINE = ['entity_f1', 'accuracy', 'macro_f1'];

/** The headline numbers of a version, after fine-tuning (validation) and on test data. */
function metricsList(metrics) {
  const parts = ['after', 'test']
    .filter((split) => metrics?.[split])
    .map((split) => {
      const shown = HEADLINE.filter((k) => typeof metrics[split][k] === 'number').map(
        (k) => `${k} ${num(metrics[split][k])}`,
      );
      return h('div', {}, h('strong', {}, split === 'after' ? 'validation: ' : 'test: '), shown.join(' · '));
    });
  return parts.length ? parts : h('span', { class: 'muted' }, 'no report');
}

function describeSetting(key, value) {
  if (key === 'peft') return `peft=${value.method}${value.r ? ` r=${value.r}` : ''}`;
  return `${key}=${value}`;
}

function lineage(version) {
  const l = version.lineage || {};
  const config = l.config || {};
  const datasets = Object.entries(l.datasets || {}).map(([split, d]) =>
    h(
      'div',
      {},
      `${split}: ${d.name} (${d.num_examples} examples, ${d.id}, sha256 ${String(d.sha256).slice(0, 12)}…)`,
    ),
  );
  const settings = ['learning_rate', 'epochs', 'batch_size', 'task', 'peft']
    .filter((key) => config[key] !== undefined && config[key] !== null)
    .map((key) => describeSetting(key, config[key]));
  const libraries = Object.entries(l.library_versions || {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const pairs = [
    ['Base model', l.base_model || version.base_model],
    [
      'Fine-tune job',
      version.job_id
        ? h('a', { href: `/runs/${version.job_id}`, class: 'mono' }, version.job_id)
        : l.source || '–',
    ],
    ['Data', datasets.length ? datasets : '–'],
    ['Labels', (l.labels || []).join(', ') || '–'],
    ['Settings', settings.join(', ') || '–'],
    ['Epoch evaluations', String((l.evaluations || []).length)],
    ['Libraries', libraries || '–'],
  ];
  return h(
    'details',
    {},
    h('summary', {}, 'Lineage'),
    h(
      'dl',
      { class: 'pairs' },
      pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  );
}

/** One stored export: precision, size and its parity figures. */
function exportLine(e) {
  const parts = [`${e.precision} ONNX`, `${(e.size_bytes / 1e6).toFixed(1)} MB`];
  if (typeof e.parity?.fp32_max_logit_difference === 'number') {
    parts.push(`logits within ${e.parity.fp32_max_logit_difference.toExponential(1)}`);
  }
  const m = e.parity?.metrics;
  const own = m?.[`onnx_${e.precision}`];
  if (typeof own === 'number') parts.push(`${m.metric} ${num(own)} (PyTorch ${num(m.pytorch)})`);
  return h('div', { dataset: { precision: e.precision } }, parts.join(' · '));
}

/** The version's stored exports and the backend that serves its predictions here. */
async function exportsPanel(cell, model, version) {
  const path = `/v1/models/${encodeURIComponent(model.name)}/versions/${version.version}/exports`;
  const stored = await api(path).catch(() => null);
  if (!stored) return cell.replaceChildren('–');
  const served = stored.find((e) => e.serves);
  cell.replaceChildren(
    ...(stored.length ? stored.map(exportLine) : [h('span', { class: 'muted' }, 'no export')]),
    h('div', { class: 'muted backend' }, `served by ${served ? `onnx-${served.precision}` : 'torch'}`),
  );
}

function exportsCell(model, version) {
  const cell = h('td', { class: 'exports' }, h('span', { class: 'muted' }, '…'));
  exportsPanel(cell, model, version);
  return cell;
}

function versionRow(model, version) {
  const name = encodeURIComponent(model.name);
  const promote =
    version.stage === 'production'
      ? ''
      : h(
          'button',
          {
            type: 'button',
            'aria-label': `Promote ${model.name} version ${version.version} to production`,
            onclick: () =>
              act(
                `/v1/models/${name}/promote`,
                { version: version.version },
                `${model.name} v${version.version} is now in production.`,
              ),
          },
          'Promote',
        );
  return h(
    'tr',
    { dataset: { version: version.version, stage: version.stage } },
    h('th', { scope: 'row' }, `v${version.version}`),
    h('td', {}, h('span', { class: `badge ${version.stage}` }, stageLabel(version.stage))),
    h('td', {}, formatTime(version.created_at)),
    h('td', {}, metricsList(version.metrics)),
    h('td', {}, lineage(version)),
    exportsCell(model, version),
    h(
      'td',
      {},
      h(
        'div',
        { class: 'actions' },
        promote,
        h('a', { href: `/evaluation?model=${name}&version=${version.version}` }, 'Evaluation'),
        h('a', { href: `/playground?model=${name}&version=${version.version}` }, 'Try it'),
      ),
    ),
  );
}

function modelCard(model) {
  const name = encodeURIComponent(model.name);
  const hasProduction = model.versions.some((v) => v.stage === 'production');
  return h(
    'section',
    { class: 'card', id: `model-${model.name}`, 'aria-labelledby': `title-${model.name}` },
    h(
      'div',
      { class: 'page-head' },
      h(
        'h2',
        { id: `title-${model.name}` },
        model.name,
        ' ',
        h('span', { class: 'muted' }, `· ${model.task}`),
      ),
      h(
        'button',
        {
          type: 'button',
          disabled: !hasProduction,
          onclick: () => act(`/v1/models/${name}/rollback`, undefined, `${model.name}: rolled back.`),
        },
        'Roll back production',
      ),
    ),
    h('div', { class: 'continual', id: `continual-${model.name}` }),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data' },
        h('caption', { class: 'visually-hidden' }, `Versions of ${model.name}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Version', 'Stage', 'Created', 'Metrics', 'Lineage', 'Exports', 'Actions'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          model.versions
            .slice()
            .reverse()
            .map((v) => versionRow(model, v)),
        ),
      ),
    ),
  );
}

/** Continual learning of a served model: drift against its baseline, feedback, policy. */
function driftText(drift) {
  if (!drift) return '–';
  if (!drift.tracked) return 'not served since the server started';
  if (drift.label_psi === null) return `${drift.window} predictions; no baseline (${drift.baseline || 'no evaluation data'})`;
  const psi = `label PSI ${num(drift.label_psi)}, confidence PSI ${num(drift.confidence_psi)}`;
  const state = drift.drifted ? `DRIFTED (${drift.reasons.join('; ')})` : `no drift (${psi} ≤ ${drift.threshold})`;
  return `${state}; v${drift.version}, ${drift.window} predictions, ADWIN changes ${drift.adwin_detections}`;
}

function policyText(policy) {
  if (!policy) return 'none';
  const when = [];
  if (policy.after_feedback) when.push(`after ${policy.after_feedback} new rows`);
  if (policy.on_drift) when.push(`on drift (${policy.min_feedback}+ new rows)`);
  return `${policy.strategy}, gate margin ${policy.margin}, ${when.join(' or ')}; last job ${policy.pending_job_id || '–'}`;
}

/** A step of the report: its strategy, and its adapter (lora-per-version). */
function stepText(step) {
  if (!step) return '';
  return step.adapter ? `${step.strategy}, adapter ${step.adapter}` : step.strategy || '';
}

/** The continual report: R[i][j], the score on task j after step i, and the summary. */
function reportTable(report) {
  if (!report) return 'no continual record';
  const head = h('tr', {}, h('th', { scope: 'col' }, 'after step'), ...report.tasks.map((t) => h('th', { scope: 'col' }, t)));
  const rows = report.matrix.map((row, i) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, `${i} (${stepText(report.steps[i])})`),
      ...report.tasks.map((_, j) => h('td', {}, j < row.length ? num(row[j]) : '–')),
    ),
  );
  const gate = report.gate ? `gate: ${report.gate.promoted ? 'promoted' : 'kept as challenger'} — ${report.gate.reasons.join('; ')}` : '';
  return h(
    'div',
    {},
    h('table', { class: 'data' }, h('caption', {}, `${report.metric} per task (v${report.version})`), h('thead', {}, head), h('tbody', {}, rows)),
    h('div', {}, `average ${num(report.average)} · backward transfer ${num(report.backward_transfer)} · mean forgetting ${num(report.mean_forgetting)}`),
    gate ? h('div', { class: 'muted' }, gate) : '',
  );
}

async function continualPanel(model) {
  const name = encodeURIComponent(model.name);
  const quiet = (path) => api(path).catch(() => null);
  const [drift, feedback, policy, report] = await Promise.all([
    quiet(`/v1/models/${name}/drift?observed_only=true`),
    quiet(`/v1/models/${name}/feedback?limit=1`),
    quiet(`/v1/models/${name}/retraining-policy`),
    quiet(`/v1/models/${name}/continual-report`),
  ]);
  const pairs = [
    ['Drift', driftText(drift)],
    ['Feedback', feedback ? `${feedback.count} rows (yours, or all with an admin key)` : '–'],
    ['Retraining policy', policyText(policy)],
    ['Continual report', reportTable(report)],
  ];
  document.getElementById(`continual-${model.name}`)?.replaceChildren(
    h('dl', { class: 'pairs' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  );
}

async function act(path, json, done) {
  try {
    await api(path, { method: 'POST', json });
    status.textContent = done;
    await load();
  } catch (error) {
    showError(status, error);
  }
}

async function load() {
  const models = await api('/v1/models');
  container.replaceChildren(
    ...(models.data.length
      ? models.data.map(modelCard)
      : [h('p', { class: 'muted' }, 'No registered models yet: a successful fine-tune registers one.')]),
  );
  models.data.forEach((model) => continualPanel(model));
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
}

load()
  .then(() => performance.mark('oi:first-content'))
  .catch((error) => showError(container, error));
