// Assistant: pick an assistant (GET /v1/assistants), chat with it in a conversation
// (POST /v1/assistants/{id}/sessions, then /ask streamed as server-sent events), each
// answer with its citations and thumbs up/down (feedback on the turn); the retrieval
// debug view of the last question (POST /retrieve: BM25, dense and fused ranks); and the
// assistant's hand-off queue (GET /handoffs, resolve). Every text goes in as text, never
// as HTML.

import { ApiError, api, badge, formatTime, h, num, param, showError, streamEvents } from './api.js';

const $ = (id) => document.getElementById(id);
let assistant = null;
let sessionId = null;

function ranks(c) {
  return `fused #${c.fused_rank}, BM25 ${c.bm25_rank ? `#${c.bm25_rank}` : '–'}, dense #${c.dense_rank}, cosine ${num(c.cosine, 2)}`;
}

async function loadAssistants() {
  const select = $('a-select');
  try {
    const page = await api('/v1/assistants?limit=500');
    if (!page.data.length) {
      select.replaceChildren(h('option', { value: '' }, 'No assistants yet'));
      $('a-info').textContent = 'Create one with POST /v1/assistants or oi assistant chat.';
      return;
    }
    const wanted = param('id');
    select.replaceChildren(
      ...page.data.map((a) => h('option', { value: a.id, selected: a.id === wanted }, `${a.name} (${a.id})`)),
    );
    select.addEventListener('change', () => choose(page.data.find((a) => a.id === select.value)));
    choose(page.data.find((a) => a.id === select.value) || page.data[0]);
  } catch (error) {
    showError($('a-info'), error);
  }
}

function choose(chosen) {
  assistant = chosen;
  sessionId = null;
  document.body.dataset.assistant = chosen.id;
  $('a-info').textContent = `${chosen.num_entries} entries from ${chosen.source}; encoder ${chosen.encoder}; hand-off below ${num(chosen.threshold, 2)}`;
  $('chat-log').replaceChildren();
  history.replaceState(null, '', `/assistant?id=${encodeURIComponent(chosen.id)}`);
  loadHandoffs();
}

function message(role, ...children) {
  const node = h('div', { class: `chat-message ${role}` }, ...children);
  $('chat-log').append(node);
  $('chat-log').scrollTop = $('chat-log').scrollHeight;
  return node;
}

function feedbackButtons(turn) {
  const status = h('span', { class: 'muted' });
  const send = async (rating) => {
    try {
      await api(`/v1/assistants/${assistant.id}/sessions/${sessionId}/turns/${turn.id}/feedback`, {
        method: 'POST',
        json: { rating },
      });
      status.textContent = rating === 'up' ? 'thanks' : 'noted';
    } catch (error) {
      status.textContent = error.message;
    }
  };
  return h(
    'div',
    { class: 'feedback' },
    h('button', { type: 'button', 'aria-label': 'Good answer', onclick: () => send('up') }, 'Good'),
    h('button', { type: 'button', 'aria-label': 'Bad answer', onclick: () => send('down') }, 'Bad'),
    status,
  );
}

async function ask(question) {
  if (!sessionId) {
    sessionId = (await api(`/v1/assistants/${assistant.id}/sessions`, { method: 'POST' })).id;
  }
  message('user', question);
  const answer = h('span', { class: 'answer' });
  const reply = message('assistant', answer);
  let turn = null;
  await streamEvents(`/v1/assistants/${assistant.id}/ask`, {
    method: 'POST',
    json: { question, session_id: sessionId, stream: true },
    onEvent: (event) => {
      if (event.type === 'answer') answer.append(event.data.text);
      else if (event.type === 'done') turn = event.data;
    },
  });
  if (!turn) throw new Error('the answer stream ended early');
  if (turn.handed_off) {
    reply.classList.add('handoff');
    answer.textContent = `Handed off to a person: ${turn.handoff_reason}`;
  }
  if (turn.query !== turn.question) reply.append(h('div', { class: 'muted' }, `read as: ${turn.query}`));
  reply.dataset.turn = String(turn.id);
  reply.append(
    h('ol', { class: 'citations' }, turn.citations.map((c) => h('li', {}, h('strong', {}, c.id), ` ${c.source ? `(${c.source}) ` : ''}— ${ranks(c)}`))),
    feedbackButtons(turn),
  );
  await debug(turn.query);
  if (turn.handed_off) loadHandoffs();
}

async function debug(query) {
  const body = $('debug-table').tBodies[0];
  $('debug-query').textContent = `Candidates for: ${query}`;
  try {
    const found = await api(`/v1/assistants/${assistant.id}/retrieve`, { method: 'POST', json: { question: query, k: 10 } });
    body.replaceChildren(
      ...found.candidates.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, c.id),
          h('td', {}, c.text),
          h('td', { class: 'num' }, c.fused_rank),
          h('td', { class: 'num' }, c.bm25_rank ?? '–'),
          h('td', { class: 'num' }, c.dense_rank),
          h('td', { class: 'num' }, num(c.cosine, 3)),
        ),
      ),
    );
  } catch (error) {
    showError(body.parentElement.parentElement, error);
  }
}

async function loadHandoffs() {
  const body = $('handoffs-table').tBodies[0];
  if (!assistant) return;
  const state = $('h-state').value;
  try {
    const page = await api(`/v1/assistants/${assistant.id}/handoffs?limit=100${state ? `&state=${state}` : ''}`);
    document.body.dataset.handoffs = String(page.count);
    if (!page.data.length) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No hand-offs.')));
      return;
    }
    body.replaceChildren(
      ...page.data.map((item) =>
        h(
          'tr',
          { dataset: { handoff: String(item.id), state: item.state } },
          h('td', {}, formatTime(item.created_at)),
          h('td', {}, item.question),
          h('td', {}, item.reason),
          h('td', { class: 'num' }, num(item.confidence, 2)),
          h('td', {}, badge(item.state)),
          h('td', {}, delivery(item.delivery)),
          h(
            'td',
            {},
            item.state === 'open'
              ? h('button', { type: 'button', onclick: () => resolve(item.id) }, 'Resolve')
              : formatTime(item.resolved_at),
          ),
        ),
      ),
    );
  } catch (error) {
    const text = error instanceof ApiError && error.status === 403
      ? 'Only the key that created this assistant, or an admin key, sees its hand-offs.'
      : null;
    if (text) body.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, text)));
    else showError(body.parentElement.parentElement, error);
  }
}

/** A hand-off's webhook delivery: delivered, failed (its error as the tooltip), or none. */
function delivery(record) {
  if (!record) return h('span', { class: 'muted' }, '—');
  const shown = badge(record.delivered ? 'delivered' : 'failed');
  shown.title = record.delivered
    ? `${record.attempts} ${record.attempts === 1 ? 'try' : 'tries'}`
    : `${record.attempts ?? 0} tries: ${record.error ?? 'not delivered'}`;
  return shown;
}

async function resolve(id) {
  try {
    await api(`/v1/assistants/${assistant.id}/handoffs/${id}/resolve`, { method: 'POST' });
  } finally {
    loadHandoffs();
  }
}

$('chat-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = $('chat-input');
  const question = input.value.trim();
  if (!question || !assistant) return;
  input.value = '';
  $('chat-send').disabled = true;
  $('chat-status').textContent = 'Asking…';
  try {
    await ask(question);
    $('chat-status').textContent = '';
  } catch (error) {
    showError($('chat-status'), error);
  } finally {
    $('chat-send').disabled = false;
  }
});
$('chat-new').addEventListener('click', () => {
  sessionId = null;
  $('chat-log').replaceChildren();
});
$('h-state').addEventListener('change', loadHandoffs);
loadAssistants().then(() => performance.mark('oi:first-content'));
