// Playground: type text, pick a model, see labels with scores or entities highlighted in
// the text, and ask why (explain.js); chat with generative models over POST /v1/generate
// (streamed), when the server has that route.

import {
  api,
  h,
  isMissingRoute,
  num,
  param,
  routeExists,
  showError,
  stageLabel,
  streamEvents,
} from './api.js';
import { EXPLAINED_TASKS, explainControls } from './explain.js';

const $ = (id) => document.getElementById(id);
const GENERATIVE = new Set(['causal-lm', 'seq2seq']);
const state = { models: [], chat: [], abort: null, generate: null };

function model() {
  return state.models.find((m) => m.name === $('p-model').value);
}

async function chooseModel(wantedVersion) {
  const m = model();
  $('p-version').replaceChildren(
    h('option', { value: '' }, 'production (default)'),
    ...(m
      ? m.versions
          .slice()
          .reverse()
          .map((v) => h('option', { value: v.version }, `v${v.version} (${stageLabel(v.stage)})`))
      : []),
  );
  if (wantedVersion) $('p-version').value = wantedVersion;
  $('p-task').textContent = m ? `Task: ${m.task}${m.pretrained ? ' (pretrained)' : ''}` : '';
  const generative = m && GENERATIVE.has(m.task);
  // Chat uses a registered model's default version (production, else the latest).
  $('p-version').disabled = Boolean(generative);
  $('predict-box').hidden = Boolean(generative);
  $('pair-field').hidden = !m || m.task !== 'sentence-pair';
  $('predictions').replaceChildren();
  if (generative && state.generate === null) state.generate = await routeExists('/v1/generate');
  $('chat-box').hidden = !(generative && state.generate);
  $('chat-unavailable').hidden = !(generative && !state.generate);
}

/** Entities as <mark> elements inside the original text. */
export function highlighted(text, entities) {
  const parts = [];
  let at = 0;
  for (const e of [...entities].sort((a, b) => a.start - b.start)) {
    if (e.start < at) continue;
    parts.push(text.slice(at, e.start));
    parts.push(
      h(
        'mark',
        { class: 'entity', dataset: { type: e.type }, title: `${e.type}, score ${num(e.score)}` },
        text.slice(e.start, e.end),
        h('span', { class: 'type' }, e.type),
      ),
    );
    at = e.end;
  }
  parts.push(text.slice(at));
  return h('p', { class: 'highlighted' }, parts);
}

function labelScores(prediction) {
  const scores = Object.entries(prediction.scores || { [prediction.label]: prediction.score }).sort(
    (a, b) => b[1] - a[1],
  );
  return h(
    'div',
    { class: 'label-scores' },
    h(
      'p',
      {},
      'Predicted ',
      h('strong', { class: 'predicted-label' }, prediction.label),
      ` (${num(prediction.score)})`,
    ),
    scores.map(([label, score]) =>
      h(
        'div',
        { class: 'score-row' },
        h('span', {}, label),
        h(
          'span',
          { class: 'bar', role: 'img', 'aria-label': `${label} ${Math.round(score * 100)}%` },
          h('span', { style: `width: ${(score * 100).toFixed(1)}%` }),
        ),
        h('span', { class: 'num' }, num(score)),
      ),
    ),
  );
}

function renderPrediction(text, prediction, explain) {
  if (prediction.entities) {
    return h(
      'article',
      { class: 'prediction' },
      highlighted(text, prediction.entities),
      prediction.entities.length ? '' : h('p', { class: 'muted' }, 'No entities found.'),
      explain,
    );
  }
  return h(
    'article',
    { class: 'prediction' },
    h('p', { class: 'muted' }, text),
    labelScores(prediction),
    explain,
  );
}

$('predict-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const lines = $('p-text')
    .value.split('\n')
    .map((t) => t.trim())
    .filter(Boolean);
  const m = model();
  if (!m || !lines.length) return;
  const pairs = $('p-pair')
    .value.split('\n')
    .map((t) => t.trim());
  const texts = m.task === 'sentence-pair' ? lines.map((t, i) => [t, pairs[i] || '']) : lines;
  const body = { texts };
  if ($('p-version').value) body.version = Number($('p-version').value);
  $('predict-status').textContent = 'Predicting…';
  try {
    const answer = await api(`/v1/models/${encodeURIComponent(m.name)}/predict`, {
      method: 'POST',
      json: body,
    });
    $('predict-status').textContent = `${m.name} v${answer.version}`;
    const explain = (i) =>
      EXPLAINED_TASKS.has(answer.task)
        ? explainControls({ model: m.name, version: answer.version, text: lines[i], index: i })
        : null;
    $('predictions').replaceChildren(
      ...answer.predictions.map((p, i) => renderPrediction(lines[i], p, explain(i))),
    );
  } catch (error) {
    showError($('predict-status'), error);
  }
});

function chatMessage(role, text) {
  const message = h('div', { class: `chat-message ${role}` }, text);
  $('chat-log').append(message);
  $('chat-log').scrollTop = $('chat-log').scrollHeight;
  return message;
}

$('chat-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('chat-input').value.trim();
  if (!text) return;
  $('chat-input').value = '';
  state.chat.push({ role: 'user', content: text });
  chatMessage('user', text);
  const reply = chatMessage('assistant', '');
  reply.setAttribute('aria-busy', 'true');
  state.abort = new AbortController();
  $('chat-send').disabled = true;
  $('chat-stop').disabled = false;
  let answer = '';
  try {
    await streamEvents('/v1/generate', {
      method: 'POST',
      json: { model: model().name, messages: state.chat, stream: true },
      signal: state.abort.signal,
      onEvent: (e) => {
        if (e.type === 'end') return false;
        if (e.type === 'error') throw new Error(e.data.detail || 'generation failed');
        answer += typeof e.data === 'object' ? e.data.text || '' : e.data;
        reply.textContent = answer;
        return true;
      },
    });
    state.chat.push({ role: 'assistant', content: answer });
  } catch (error) {
    if (isMissingRoute(error)) {
      state.generate = false;
      $('chat-box').hidden = true;
      $('chat-unavailable').hidden = false;
    } else if (error.name !== 'AbortError') {
      reply.append(h('span', { class: 'error' }, ` [${error.message}]`));
    }
  } finally {
    reply.removeAttribute('aria-busy');
    $('chat-send').disabled = false;
    $('chat-stop').disabled = true;
  }
});

$('chat-stop').addEventListener('click', () => state.abort?.abort());
$('chat-clear').addEventListener('click', () => {
  state.chat = [];
  $('chat-log').replaceChildren();
});
$('chat-input').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('chat-form').requestSubmit();
  }
});
$('p-model').addEventListener('change', () => chooseModel());

/** Pretrained generative models ready on the server (rendered into the page). */
function pretrainedModels(registered) {
  const names = new Set(registered.map((m) => m.name));
  const listed = JSON.parse(document.getElementById('pretrained-models')?.textContent || '[]');
  return listed.filter((m) => !names.has(m.name)).map((m) => ({ ...m, pretrained: true, versions: [] }));
}

function modelOptions(models) {
  const option = (m) => h('option', { value: m.name }, `${m.name} (${m.task})`);
  const registered = models.filter((m) => !m.pretrained);
  const pretrained = models.filter((m) => m.pretrained);
  if (!models.length) return [h('option', { value: '' }, 'no models')];
  return [
    registered.length ? h('optgroup', { label: 'Registered models' }, registered.map(option)) : null,
    pretrained.length ? h('optgroup', { label: 'Pretrained chat models' }, pretrained.map(option)) : null,
  ].filter(Boolean);
}

async function start() {
  const models = await api('/v1/models');
  state.models = [...models.data, ...pretrainedModels(models.data)];
  $('p-model').replaceChildren(...modelOptions(state.models));
  if (param('model')) $('p-model').value = param('model');
  await chooseModel(param('version'));
  performance.mark('oi:first-content');
}

start().catch((error) => showError($('predictions'), error));
