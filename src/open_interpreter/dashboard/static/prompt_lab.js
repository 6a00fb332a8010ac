// Prompt lab: render a template on a few inputs (and generate each output, at most "Max new
// tokens" long, with a registered or pretrained generative model), and run a prompt
// evaluation, through the prompt library's API: POST /v1/prompts/render and
// POST /v1/prompts/evaluate. Where a server lacks them (404), says so plainly.

import { api, h, isMissingRoute, num, routeExists, showError } from './api.js';

const $ = (id) => document.getElementById(id);
const RENDER = '/v1/prompts/render';
const EVALUATE = '/v1/prompts/evaluate';

function unavailable(which) {
  const [notice, form] =
    which === 'render' ? ['render-unavailable', 'render-form'] : ['evaluate-unavailable', 'evaluate-form'];
  $(notice).hidden = false;
  for (const control of $(form).elements) control.disabled = true;
}

function renderResults(inputs, answer) {
  $('render-results').tBodies[0].replaceChildren(
    ...answer.results.map((r, i) =>
      h(
        'tr',
        {},
        h('td', {}, inputs[i]?.text ?? ''),
        h('td', {}, h('pre', {}, r.system ? `[system] ${r.system}\n\n${r.prompt}` : r.prompt)),
        h('td', {}, h('pre', {}, r.output ?? '–')),
      ),
    ),
  );
}

const interval = (ci) => (Array.isArray(ci) ? ` [${num(ci[0])}, ${num(ci[1])}]` : '');

function evaluationTable(table) {
  const rows = table.rows || [];
  const parts = [
    h(
      'p',
      { class: 'muted' },
      `${table.name ?? ''}: ${table.examples ?? '?'} dev examples, labels ${(table.labels || []).join(', ')}`,
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data', id: 'prompt-eval-rows' },
        h('caption', {}, 'Runs, best accuracy first (95% bootstrap intervals)'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['run', 'strategy', 'accuracy', 'macro F1', 'seconds'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((r) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, r.name),
              h('td', {}, r.settings?.strategy ?? ''),
              h('td', { class: 'num' }, `${num(r.accuracy)}${interval(r.accuracy_ci)}`),
              h('td', { class: 'num' }, `${num(r.macro_f1)}${interval(r.macro_f1_ci)}`),
              h('td', { class: 'num' }, num(r.seconds, 1)),
            ),
          ),
        ),
      ),
    ),
  ];
  if (table.effects?.length) {
    parts.push(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'data' },
          h('caption', {}, 'Measured effects (changed minus baseline)'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['change', 'baseline', 'changed', 'accuracy', 'macro F1'].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            table.effects.map((e) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, e.change),
                h('td', {}, e.baseline),
                h('td', {}, e.changed),
                h('td', { class: 'num' }, `${num(e.accuracy)}${interval(e.accuracy_ci)}`),
                h('td', { class: 'num' }, num(e.macro_f1)),
              ),
            ),
          ),
        ),
      ),
    );
  }
  return parts;
}

$('render-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const inputs = $('t-inputs')
    .value.split('\n')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((text) => ({ text }));
  const body = { template: $('t-template').value, inputs };
  if ($('t-model').value) body.model = $('t-model').value;
  body.max_new_tokens = Number($('t-max-new-tokens').value); // the form checks 1–2048
  $('render-status').textContent = 'Running…';
  try {
    renderResults(inputs, await api(RENDER, { method: 'POST', json: body }));
    $('render-status').textContent = `${inputs.length} input(s) run.`;
  } catch (error) {
    if (isMissingRoute(error)) {
      $('render-status').textContent = '';
      unavailable('render');
    } else showError($('render-status'), error);
  }
});

$('evaluate-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  let config;
  try {
    config = JSON.parse($('p-config').value);
  } catch (error) {
    showError($('evaluate-status'), new Error(`the settings are not valid JSON: ${error.message}`));
    return;
  }
  $('evaluate-status').textContent = 'Evaluating… (this scores every run on the dev set)';
  try {
    const answer = await api(EVALUATE, { method: 'POST', json: { config } });
    $('evaluate-table').replaceChildren(...evaluationTable(answer));
    $('evaluate-status').textContent = 'Done.';
  } catch (error) {
    if (isMissingRoute(error)) {
      $('evaluate-status').textContent = '';
      unavailable('evaluate');
    } else showError($('evaluate-status'), error);
  }
});

/** Pretrained generative models ready on the server (rendered into the page). */
function pretrainedModels(registered) {
  const names = new Set(registered.map((m) => m.name));
  const listed = JSON.parse($('pretrained-models')?.textContent || '[]');
  return listed.filter((m) => !names.has(m.name));
}

async function start() {
  const [canRender, canEvaluate] = await Promise.all([routeExists(RENDER), routeExists(EVALUATE)]);
  if (!canRender) unavailable('render');
  if (!canEvaluate) unavailable('evaluate');
  performance.mark('oi:first-content');
  const models = await api('/v1/models').catch(() => ({ data: [] }));
  const option = (m) => h('option', { value: m.name }, `${m.name} (${m.task})`);
  const registered = models.data.filter((m) => ['causal-lm', 'seq2seq'].includes(m.task));
  const pretrained = pretrainedModels(models.data);
  $('t-model').append(
    ...[
      registered.length ? h('optgroup', { label: 'Registered models' }, registered.map(option)) : null,
      pretrained.length ? h('optgroup', { label: 'Pretrained models' }, pretrained.map(option)) : null,
    ].filter(Boolean),
  );
}

start();
