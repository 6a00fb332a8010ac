// Recommend: the registered recommenders (GET /v1/recommenders), one user's history
// (GET …/users/{user}/history) beside their recommendations with the reason for each
// (GET …/users/{user}/recommendations), and the chosen model's evaluation table.
// Every text goes in through h() (text nodes), never as HTML.

import { api, ApiError, h, num, param, showError } from './api.js';

const $ = (id) => document.getElementById(id);
let models = [];

function metricCell(evaluation, name) {
  const value = evaluation.metrics ? evaluation.metrics[name] : undefined;
  const interval = evaluation.intervals ? evaluation.intervals[name] : undefined;
  const text = interval ? `${num(value)} [${num(interval[0])}, ${num(interval[1])}]` : num(value);
  return h('td', { class: 'num' }, text);
}

function drawEvaluation(name) {
  const body = $('eval-table').tBodies[0];
  const model = models.find((m) => m.name === name);
  if (!model || !model.versions.length) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No versions.')));
    return;
  }
  body.replaceChildren(
    ...model.versions.map((v) =>
      h(
        'tr',
        { dataset: { version: v.version } },
        h('td', { class: 'num' }, v.version),
        h('td', {}, v.kind || '–'),
        h('td', { class: 'num' }, v.evaluation.users ?? '–'),
        metricCell(v.evaluation, 'recall@10'),
        metricCell(v.evaluation, 'ndcg@10'),
        metricCell(v.evaluation, 'mrr'),
        metricCell(v.evaluation, 'coverage@10'),
        h('td', { class: 'num' }, num(v.train_seconds, 1)),
      ),
    ),
  );
}

function itemRows(items, withRank) {
  return items.map((item, index) =>
    h(
      'tr',
      { dataset: { item: item.item_id } },
      withRank ? h('td', { class: 'num' }, index + 1) : null,
      h('td', {}, item.title),
      h('td', {}, item.genres.join(', ')),
      withRank ? h('td', { class: 'num' }, num(item.score)) : null,
      withRank ? h('td', { class: 'reason' }, item.reason) : null,
    ),
  );
}

async function drawUser(name, user, k, genre) {
  const base = `/v1/recommenders/${encodeURIComponent(name)}/users/${encodeURIComponent(user)}`;
  const history = $('history-table').tBodies[0];
  const recs = $('recs-table').tBodies[0];
  const query = new URLSearchParams({ k: String(k) });
  if (genre) query.append('genre', genre);
  try {
    const answer = await api(`${base}/recommendations?${query}`);
    $('rec-fallback').textContent = answer.fallback || `Ranked by the ${answer.kind} model, version ${answer.version}.`;
    recs.replaceChildren(...itemRows(answer.items, true));
    if (!answer.items.length) recs.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'Nothing left to recommend.')));
  } catch (error) {
    showError($('rec-message'), error);
  }
  try {
    const past = await api(`${base}/history`);
    history.replaceChildren(...itemRows(past.items.slice().reverse(), false));
  } catch (error) {
    const unknown = error instanceof ApiError && error.status === 404;
    history.replaceChildren(
      h('tr', {}, h('td', { colspan: 2, class: 'muted' }, unknown ? 'No history: an unknown user.' : String(error.message))),
    );
  }
  document.body.dataset.recommended = user;
}

async function start() {
  const select = $('rec-model');
  try {
    models = (await api('/v1/recommenders')).data;
  } catch (error) {
    showError($('rec-message'), error);
    return;
  }
  if (!models.length) {
    $('eval-table').tBodies[0].replaceChildren(
      h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No recommenders yet: train one with POST /v1/recommenders or oi recommend train.')),
    );
    return;
  }
  select.replaceChildren(...models.map((m) => h('option', { value: m.name }, m.name)));
  const chosen = param('model');
  if (chosen && models.some((m) => m.name === chosen)) select.value = chosen;
  drawEvaluation(select.value);
  select.addEventListener('change', () => drawEvaluation(select.value));
  $('rec-form').addEventListener('submit', (event) => {
    event.preventDefault();
    $('rec-message').replaceChildren();
    const user = $('rec-user').value.trim();
    const k = Math.min(100, Math.max(1, Number($('rec-k').value) || 10));
    if (user) drawUser(select.value, user, k, $('rec-genre').value.trim());
  });
  const user = param('user');
  if (user) {
    $('rec-user').value = user;
    await drawUser(select.value, user, 10, '');
  }
}

start().then(() => performance.mark('oi:first-content'));
