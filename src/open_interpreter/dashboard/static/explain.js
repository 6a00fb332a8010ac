// Why the model decided: an "Explain" control under a playground prediction, calling
// POST /v1/models/{name}/explain, and the text shown with each word's background graded by
// its score (green toward the explained label or entity, red away from it).

import { api, h, num, showError } from './api.js';

/** The attribution methods of the API, with their names in words. */
export const METHODS = [
  ['integrated-gradients', 'Integrated gradients'],
  ['occlusion', 'Occlusion'],
  ['attention-rollout', 'Attention rollout'],
];

/** Tasks the route explains. */
export const EXPLAINED_TASKS = new Set(['sequence-classification', 'token-classification']);

const GREEN = [22, 163, 74];
const RED = [220, 38, 38];
const DEEPEST = 0.5; // the strongest tint: dark text on it keeps a contrast above 7:1

/**
 * A word's background for `score` on a text whose largest |score| is `scale`: the colour
 * mixed into white, opaque (so what is measured is what is seen).
 */
export function shade(score, scale) {
  const strength = scale > 0 ? Math.min(Math.abs(score) / scale, 1) * DEEPEST : 0;
  const colour = score >= 0 ? GREEN : RED;
  const [r, g, b] = colour.map((c) => Math.round(255 + (c - 255) * strength));
  return `rgb(${r}, ${g}, ${b})`;
}

/** A score with its sign, as the page shows it. */
export function signed(score) {
  if (typeof score !== 'number' || !Number.isFinite(score)) return '–';
  return `${score >= 0 ? '+' : ''}${num(score)}`;
}

/** The text with one graded <span> per word; its title (and hidden text) holds the score. */
export function explainedText(explanation) {
  const { text, words, offsets, scores, entity } = explanation;
  const scale = Math.max(0, ...scores.map((s) => Math.abs(s) || 0));
  const parts = [];
  let at = 0;
  words.forEach((word, i) => {
    const [start, end] = offsets[i];
    const shown = text.slice(start, end) || word;
    const inEntity = entity && i >= entity.words[0] && i < entity.words[1];
    parts.push(text.slice(at, start));
    parts.push(
      h(
        'span',
        {
          class: inEntity ? 'word in-entity' : 'word',
          style: `background-color: ${shade(scores[i], scale)}`,
          title: `${shown}: ${signed(scores[i])}`,
          dataset: { score: String(scores[i]) },
        },
        shown,
        h('span', { class: 'visually-hidden' }, ` (${signed(scores[i])})`),
      ),
    );
    at = end;
  });
  parts.push(text.slice(at));
  return h('p', { class: 'explained' }, parts);
}

function topWords(explanation, k = 3) {
  const order = explanation.scores
    .map((score, i) => [explanation.words[i], score])
    .filter(([, score]) => score > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k);
  if (!order.length) return null;
  return h(
    'p',
    { class: 'top-words' },
    'Strongest toward it: ',
    order.map(([word, score], i) => [i ? ', ' : '', h('strong', {}, word), ` ${signed(score)}`]),
  );
}

function renderExplanation(explanation) {
  const what = explanation.entity
    ? `${explanation.entity.type} “${explanation.entity.text}”`
    : `“${explanation.target}”`;
  return h(
    'figure',
    { class: 'explanation' },
    h('figcaption', {}, 'Why ', h('strong', {}, what), ` (probability ${num(explanation.probability)})`),
    explainedText(explanation),
    topWords(explanation),
  );
}

/** Every explanation of one text, with a legend; a note when there is nothing to explain. */
export function renderExplanations(result, methodName) {
  if (!result.explanations.length) return [h('p', { class: 'muted' }, 'No entities to explain.')];
  return [
    h(
      'p',
      { class: 'muted legend' },
      `${methodName}: green words push the model toward the answer, red ones away; `,
      'the deeper the colour, the larger the score. Each word’s score is in its tooltip.',
    ),
    ...result.explanations.map(renderExplanation),
  ];
}

/**
 * The Explain control for prediction number `index` of `text` by `model` (a version
 * number, or null for production): a method select, a button, and where the answer goes.
 */
export function explainControls({ model, version, text, index }) {
  const id = `explain-${index}`;
  const select = h(
    'select',
    { id: `${id}-method`, name: 'method' },
    METHODS.map(([value, label]) => h('option', { value }, label)),
  );
  const button = h('button', { type: 'submit', 'aria-describedby': `${id}-text` }, 'Explain');
  const status = h('output', { role: 'status', 'aria-live': 'polite' });
  const shown = h('div', { class: 'explanations', id: `${id}-result` });
  const form = h(
    'form',
    { class: 'explain-form', id },
    h('span', { class: 'visually-hidden', id: `${id}-text` }, `the prediction for: ${text}`),
    h('label', { for: select.id }, 'Method'),
    select,
    button,
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { text, method: select.value };
    if (version) body.version = version;
    button.disabled = true;
    status.textContent = 'Explaining…';
    try {
      const answer = await api(`/v1/models/${encodeURIComponent(model)}/explain`, {
        method: 'POST',
        json: body,
      });
      const label = select.selectedOptions[0].textContent;
      shown.replaceChildren(...renderExplanations(answer.results[0], label));
      status.textContent = '';
    } catch (error) {
      status.textContent = '';
      showError(shown, error);
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'explain' }, form, shown);
}
