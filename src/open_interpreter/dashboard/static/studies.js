// Studies: every hyperparameter study (GET /v1/studies) and one in detail
// (GET /v1/studies/{id}, polled every 3 s while it runs): its trials, each linked to its
// run page, the optimisation history, each trial's score per epoch (where pruning cut
// it), parallel coordinates of settings and score, and the parameter importances.

import { api, badge, formatDuration, formatTime, h, num, param, showError } from './api.js';
import { COLORS, loadPlotly } from './charts.js';

const $ = (id) => document.getElementById(id);
const PLOT_CONFIG = { displaylogo: false, responsive: true };
const MARGIN = { l: 55, r: 15, t: 10, b: 45 };
let timer = null;

/** A setting's value, short: 3.2e-4 for small floats, 0.123 for others. */
function value(v) {
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 0.01 ? v.toExponential(1) : v.toFixed(3);
}

function settings(params) {
  return Object.entries(params || {})
    .map(([name, v]) => `${name}=${value(v)}`)
    .join(', ');
}

async function drawList(selected) {
  const body = $('studies-table').tBodies[0];
  try {
    const page = await api('/v1/studies?limit=100');
    if (!page.data.length) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No studies yet.')));
      return null;
    }
    body.replaceChildren(
      ...page.data.map((s) =>
        h(
          'tr',
          { 'aria-current': s.id === selected ? 'true' : null },
          h('td', {}, h('a', { href: `/studies?id=${encodeURIComponent(s.id)}` }, s.name || s.id)),
          h('td', {}, badge(s.status)),
          h('td', {}, s.model_name),
          h('td', {}, `${s.metric} (${s.direction})`),
          h('td', { class: 'num' }, num(s.best_value)),
          h('td', { class: 'num' }, `${s.trials.length} / ${s.n_trials}`),
          h('td', {}, formatTime(s.created_at)),
        ),
      ),
    );
    return page.data[0].id;
  } catch (error) {
    showError(body.parentElement.parentElement, error);
    return null;
  }
}

function drawStats(study) {
  $('study-title').textContent = `Study ${study.name || study.id}: ${study.base_model} → ${study.model_name}`;
  $('st-status').replaceChildren(badge(study.status));
  $('st-best').textContent =
    study.best_trial === null ? '–' : `${num(study.best_value)} (trial ${study.best_trial})`;
  $('st-baseline').textContent = num(study.baseline_value);
  const states = {};
  for (const t of study.trials) states[t.state] = (states[t.state] || 0) + 1;
  $('st-trials').textContent =
    `${study.trials.length} of ${study.n_trials}: ` +
    Object.entries(states).map(([s, n]) => `${n} ${s}`).join(', ');
  $('st-epochs').textContent = study.epochs_planned
    ? `${study.epochs_run} of ${study.epochs_planned} planned`
    : String(study.epochs_run);
  $('st-version').textContent = study.model_version_id === null ? 'not yet' : `version id ${study.model_version_id}`;
  $('st-register').disabled = study.best_trial === null || study.model_version_id !== null;
  $('st-cancel').disabled = study.status !== 'running';
}

function drawTrials(study) {
  const rows = study.trials.map((t) =>
    h(
      'tr',
      { dataset: { state: t.state } },
      h('td', { class: 'num' }, t.baseline ? `${t.number} (baseline)` : String(t.number)),
      h('td', {}, badge(t.state)),
      h('td', {}, settings(t.params)),
      h('td', { class: 'num' }, num(t.value)),
      h('td', { class: 'num' }, t.epochs_planned ? `${t.epochs_run} / ${t.epochs_planned}` : String(t.epochs_run)),
      h('td', {}, t.pruned_at === null ? '' : `after epoch ${t.pruned_at}`),
      h('td', { class: 'num' }, formatDuration(t.seconds)),
      h('td', {}, h('a', { href: `/runs/${encodeURIComponent(t.job_id)}` }, t.job_id)),
    ),
  );
  $('trials-table').tBodies[0].replaceChildren(...rows);
}

async function drawCharts(study) {
  const Plotly = await loadPlotly();
  const scored = study.trials.filter((t) => t.state === 'complete' && t.value !== null);
  const better = study.direction === 'maximize' ? Math.max : Math.min;
  let best = null;
  const bestSoFar = scored.map((t) => (best = best === null ? t.value : better(best, t.value)));
  const axis = (title) => ({ title: { text: title }, automargin: true });
  Plotly.react(
    $('history-chart'),
    [
      {
        x: scored.map((t) => t.number),
        y: scored.map((t) => t.value),
        mode: 'markers',
        name: 'trial',
        marker: { color: COLORS[0], size: 9 },
        text: scored.map((t) => settings(t.params)),
      },
      { x: scored.map((t) => t.number), y: bestSoFar, mode: 'lines', name: 'best so far', line: { color: COLORS[1], shape: 'hv' } },
    ],
    { margin: MARGIN, xaxis: { ...axis('trial'), tickformat: 'd' }, yaxis: axis(study.metric), legend: { orientation: 'h' } },
    PLOT_CONFIG,
  );
  $('history-chart').dataset.points = String(scored.length);
  Plotly.react(
    $('epochs-chart'),
    study.trials
      .filter((t) => Object.keys(t.epoch_scores).length)
      .map((t, i) => ({
        x: Object.keys(t.epoch_scores).map(Number),
        y: Object.values(t.epoch_scores),
        mode: 'lines+markers',
        name: `trial ${t.number}${t.state === 'pruned' ? ' (pruned)' : ''}`,
        line: { color: COLORS[i % COLORS.length], dash: t.state === 'pruned' ? 'dot' : 'solid' },
      })),
    { margin: MARGIN, xaxis: { ...axis('epoch'), dtick: 1 }, yaxis: axis(study.metric) },
    PLOT_CONFIG,
  );
  const names = Object.keys(study.space);
  const searched = scored.filter((t) => !t.baseline);
  const dimension = (label, values) => {
    if (values.every((v) => typeof v === 'number')) return { label, values };
    const levels = [...new Set(values.map(String))];
    return { label, values: values.map((v) => levels.indexOf(String(v))), tickvals: levels.map((_, i) => i), ticktext: levels };
  };
  Plotly.react(
    $('parallel-chart'),
    searched.length
      ? [
          {
            type: 'parcoords',
            line: { color: searched.map((t) => t.value), colorscale: 'Viridis', showscale: true },
            dimensions: [
              ...names.map((n) => dimension(n, searched.map((t) => t.params[n]))),
              dimension(study.metric, searched.map((t) => t.value)),
            ],
          },
        ]
      : [],
    { margin: { l: 60, r: 60, t: 40, b: 20 } },
    PLOT_CONFIG,
  );
  $('parallel-chart').dataset.points = String(searched.length);
  const importances = Object.entries(study.importances).sort((a, b) => a[1] - b[1]);
  Plotly.react(
    $('importance-chart'),
    importances.length
      ? [{ type: 'bar', orientation: 'h', x: importances.map((e) => e[1]), y: importances.map((e) => e[0]), marker: { color: COLORS[2] } }]
      : [],
    { margin: { ...MARGIN, l: 110 }, xaxis: { ...axis('importance'), range: [0, 1] } },
    PLOT_CONFIG,
  );
  $('importance-chart').dataset.points = String(importances.length);
}

async function drawStudy(id) {
  clearTimeout(timer);
  try {
    const study = await api(`/v1/studies/${encodeURIComponent(id)}`);
    $('study-detail').hidden = false;
    document.body.dataset.study = study.id;
    drawStats(study);
    drawTrials(study);
    await drawCharts(study);
    document.body.dataset.studyStatus = study.status;
    if (study.status === 'running') timer = setTimeout(() => drawStudy(id), 3000);
  } catch (error) {
    $('study-detail').hidden = false;
    showError($('st-message'), error);
  }
}

async function act(action) {
  const id = document.body.dataset.study;
  try {
    await api(`/v1/studies/${encodeURIComponent(id)}/${action}`, { method: 'POST' });
    $('st-message').replaceChildren(h('p', {}, action === 'register' ? 'Registered.' : 'Cancelled.'));
  } catch (error) {
    showError($('st-message'), error);
  }
  drawStudy(id);
}

$('st-register').addEventListener('click', () => act('register'));
$('st-cancel').addEventListener('click', () => act('cancel'));

const chosen = param('id');
drawList(chosen).then((newest) => {
  performance.mark('oi:first-content');
  const id = chosen || newest;
  if (id) drawStudy(id);
});
