// Monitor: every financial-news monitor (GET /v1/monitors) and one in detail: a series
// (GET /v1/monitors/{id}/series) drawn with its alerts as markers, the documents behind a
// point (GET /v1/monitors/{id}/documents?key=&at=), and the alerts with their deliveries.
// Live: the page follows GET /v1/monitors/{id}/alerts/stream (server-sent events) and
// draws again when an alert or progress event arrives, so it follows a replay while it
// runs. Every text from the API goes in as text (h() never parses HTML).

import { ApiError, api, formatTime, h, num, param, showError, streamEvents } from './api.js';
import { COLORS, loadPlotly } from './charts.js';

const $ = (id) => document.getElementById(id);
const PLOT_CONFIG = { displaylogo: false, responsive: true };
const MARGIN = { l: 55, r: 15, t: 10, b: 45 };
const REDRAW_MS = 300; // events closer together than this make one redraw
const RECONNECT_MS = 2000; // after a stream ends (its lifetime) or fails
const LIST_POLL_MS = 5000; // no monitor to follow yet: look for one
const path = (id, rest = '') => `/v1/monitors/${encodeURIComponent(id)}${rest}`;

let chosen = null; // {key, at}: the point whose documents are shown
let currentId = null; // the monitor shown

async function drawList(selected) {
  const body = $('monitors-table').tBodies[0];
  try {
    const page = await api('/v1/monitors?limit=100');
    if (!page.data.length) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No monitors yet.')));
      return null;
    }
    body.replaceChildren(
      ...page.data.map((m) =>
        h(
          'tr',
          { 'aria-current': m.id === selected ? 'true' : null },
          h('td', {}, h('a', { href: `/monitor?id=${encodeURIComponent(m.id)}` }, m.name)),
          h('td', { class: 'num' }, String(m.documents)),
          h('td', { class: 'num' }, String(m.keys.length)),
          h('td', {}, m.rules.map((r) => `${r.name} (${r.kind})`).join(', ') || '–'),
          h('td', {}, m.latest_document_time ? formatTime(m.latest_document_time) : '–'),
        ),
      ),
    );
    return page.data;
  } catch (error) {
    showError(body.parentElement.parentElement, error);
    return null;
  }
}

function drawKeys(monitor) {
  const select = $('mon-key');
  const current = select.value || param('key') || monitor.keys[0] || '';
  const known = [...select.options].map((o) => o.value).join('\n');
  if (known !== monitor.keys.join('\n')) {
    select.replaceChildren(...monitor.keys.map((k) => h('option', { value: k }, k)));
  }
  if (monitor.keys.includes(current)) select.value = current;
  return select.value;
}

async function drawChart(series, alerts, metric) {
  const chart = $('series-chart');
  const points = series ? series.points : [];
  chart.dataset.points = String(points.length);
  chart.dataset.alerts = String(alerts.length);
  const Plotly = await loadPlotly();
  const x = points.map((p) => p.window_end);
  const y = points.map((p) => p[metric]);
  const byTime = new Map(points.map((p) => [p.window_end, p[metric]]));
  const marks = alerts.map((a) => (byTime.has(a.time) ? byTime.get(a.time) : null));
  Plotly.react(
    chart,
    [
      {
        name: series ? series.key : 'series',
        x,
        y,
        customdata: x,
        mode: 'lines+markers',
        line: { color: COLORS[0] },
        hovertemplate: '%{x}<br>%{y:.3f}<extra></extra>',
      },
      {
        name: 'alerts',
        x: alerts.map((a) => a.time),
        y: alerts.map((a, i) => (marks[i] === null ? (a.kind === 'threshold' || a.kind === 'zscore' ? a.value : null) : marks[i])),
        text: alerts.map((a) => `${a.rule}: ${a.message}`),
        mode: 'markers',
        marker: { color: '#dc2626', symbol: 'diamond', size: 12 },
        hovertemplate: '%{text}<extra></extra>',
      },
    ],
    {
      margin: MARGIN,
      xaxis: { title: { text: 'window end' } },
      yaxis: { title: { text: metric.replace('_', ' ') } },
      legend: { orientation: 'h' },
    },
    PLOT_CONFIG,
  );
  if (!chart.dataset.clickable) {
    chart.dataset.clickable = 'true';
    chart.on('plotly_click', (event) => {
      const point = event.points.find((p) => p.curveNumber === 0);
      if (point) showDocuments(currentId, $('mon-key').value, point.customdata);
    });
  }
}

function drawPoints(monitorId, series) {
  const body = $('mon-points').tBodies[0];
  const points = series ? [...series.points].reverse().slice(0, 200) : [];
  body.replaceChildren(
    ...points.map((p) =>
      h(
        'tr',
        { 'aria-current': chosen && chosen.at === p.window_end ? 'true' : null },
        h('td', {}, p.window_end),
        h('td', { class: 'num' }, String(p.volume)),
        h('td', { class: 'num' }, num(p.mean_sentiment)),
        h('td', { class: 'num' }, num(p.share_negative)),
        h(
          'td',
          {},
          h(
            'button',
            { type: 'button', onclick: () => showDocuments(monitorId, series.key, p.window_end) },
            'Show',
          ),
        ),
      ),
    ),
  );
}

async function showDocuments(monitorId, key, at) {
  chosen = { key, at };
  const caption = $('mon-docs-caption');
  const body = $('mon-docs').tBodies[0];
  try {
    const query = new URLSearchParams({ key, at, limit: '50' });
    const found = await api(`${path(monitorId, '/documents')}?${query}`);
    caption.textContent = `${found.data.length} documents of ${key} in the window ending ${at}`;
    body.replaceChildren(
      ...found.data.map((d) =>
        h(
          'tr',
          { dataset: { documentId: d.id } },
          h('td', {}, d.time),
          h('td', {}, d.source),
          h('td', { class: 'doc-text' }, d.text),
          h('td', { class: 'num' }, num(d.sentiment, 2)),
          h('td', {}, d.topic || '–'),
        ),
      ),
    );
  } catch (error) {
    showError(caption, error);
  }
}

function drawAlerts(alerts) {
  const body = $('mon-alerts').tBodies[0];
  if (!alerts.length) {
    body.replaceChildren(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No alerts yet.')));
    return;
  }
  body.replaceChildren(
    ...alerts.map((a) =>
      h(
        'tr',
        { dataset: { alertId: a.id } },
        h('td', {}, a.time),
        h('td', {}, `${a.rule} (${a.kind})`),
        h('td', {}, a.key),
        h('td', { class: 'num' }, num(a.value)),
        h('td', {}, a.message),
        h('td', { class: 'num' }, String(a.document_ids.length)),
        h(
          'td',
          {},
          a.deliveries.length
            ? a.deliveries.map((d) => `${d.state} (${d.attempts})`).join(', ')
            : '–',
        ),
      ),
    ),
  );
}

async function drawDetail(monitorId) {
  const detail = $('monitor-detail');
  try {
    const monitor = await api(path(monitorId));
    detail.hidden = false;
    $('monitor-title').textContent = `Monitor ${monitor.name}: ${monitor.documents} documents, windows of ${monitor.window_minutes} min every ${monitor.step_minutes}`;
    document.body.dataset.monitorDocuments = String(monitor.documents);
    const key = drawKeys(monitor);
    const metric = $('mon-metric').value;
    const [seriesList, alertList] = await Promise.all([
      key ? api(`${path(monitorId, '/series')}?${seriesQuery(key)}`) : { data: [] },
      api(`${path(monitorId, '/alerts')}?limit=100`),
    ]);
    const series = seriesList.data[0] || null;
    const onSeries = alertList.data.filter((a) => a.key === key);
    await drawChart(series, onSeries, metric);
    drawPoints(monitorId, series);
    drawAlerts(alertList.data);
  } catch (error) {
    detail.hidden = false;
    showError($('monitor-title'), error);
  }
}

function seriesQuery(key) {
  const [kind, ...rest] = key.split(':');
  const name = rest.join(':');
  return new URLSearchParams(kind === 'topic' ? { topic: name } : { entity: name }).toString();
}

async function main() {
  const selected = param('id');
  const monitors = await drawList(selected);
  const id = selected || (monitors && monitors.length ? monitors[0].id : null);
  currentId = id;
  if (id) {
    await drawDetail(id);
    $('mon-key').addEventListener('change', () => drawDetail(id));
    $('mon-metric').addEventListener('change', () => drawDetail(id));
  }
  performance.mark('oi:first-content');
  if (id) follow(id);
  else setTimeout(function lookAgain() {
    if (!document.hidden) drawList(null);
    setTimeout(lookAgain, LIST_POLL_MS);
  }, LIST_POLL_MS);
}

/** Redraw the page when the monitor's stream says something changed; reconnect (after
 * the last alert seen) when the stream ends, until the monitor is deleted. */
async function follow(id) {
  let after = null; // the id of the last alert event seen
  let timer = null;
  const redraw = () => {
    if (timer) return;
    timer = setTimeout(async () => {
      timer = null;
      await drawList(id);
      await drawDetail(id);
    }, REDRAW_MS);
  };
  for (;;) {
    let ended = null;
    try {
      const query = after ? `?after=${encodeURIComponent(after)}` : '';
      await streamEvents(`${path(id, '/alerts/stream')}${query}`, {
        onEvent: (event) => {
          if (event.type === 'end') {
            ended = event.data.reason;
            return false;
          }
          if (event.type === 'alert' && event.id) after = event.id;
          if (event.type === 'alert' || event.type === 'progress') redraw();
          return true;
        },
      });
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) ended = 'deleted';
    }
    if (ended === 'deleted') {
      redraw();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

main();
