// Charts: line charts drawn with plotly.js (the bundle of the installed plotly package,
// loaded only on pages that draw one, after their first content) and the confusion
// matrix as an HTML table heatmap.

import { h } from './api.js';

export const COLORS = [
  '#1d4ed8',
  '#c2410c',
  '#047857',
  '#7c3aed',
  '#be123c',
  '#0e7490',
  '#a16207',
  '#4b5563',
];

let plotly;

/** Load plotly.js once; resolves to the Plotly object. */
export function loadPlotly() {
  if (!plotly) {
    plotly = new Promise((resolve, reject) => {
      if (window.Plotly) {
        resolve(window.Plotly);
        return;
      }
      const script = document.createElement('script');
      script.src = document.body.dataset.plotly;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error('the chart library did not load'));
      document.head.append(script);
    });
  }
  return plotly;
}

/**
 * A line chart of named series ({name, x, y, dash?}) that redraws at most every 250 ms
 * however often it is given new data. Its container is an image to assistive
 * technology; a text summary under it says the latest values. `data-points` on the
 * container counts the points drawn (tests watch it).
 */
export class LineChart {
  constructor(container, { title, xTitle, yTitle, logY = false, summary = null, yRange = null }) {
    this.container = container;
    this.options = { title, xTitle, yTitle, logY, summary, yRange };
    this.series = [];
    this.timer = null;
    this.revision = 0;
    container.setAttribute('role', 'img');
    container.setAttribute('aria-label', title);
    this.summary = h('p', { class: 'chart-summary', 'aria-live': 'polite' });
    container.after(this.summary);
  }

  /** Replace the series and schedule a redraw. */
  set(series) {
    this.series = series;
    if (this.options.summary) this.summary.textContent = this.options.summary(series);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.draw().catch((error) => {
          this.summary.textContent = error.message;
        });
      }, 250);
    }
  }

  /** Change options (e.g. {logY: true}) and redraw. */
  configure(changes) {
    Object.assign(this.options, changes);
    this.set(this.series);
  }

  async draw() {
    const Plotly = await loadPlotly();
    const traces = this.series.map((s, i) => ({
      type: 'scatter',
      mode: s.x.length > 30 ? 'lines' : 'lines+markers',
      name: s.name,
      x: s.x,
      y: s.y,
      // simplify: false draws every point (plotly drops collinear ones by default).
      line: {
        color: s.color || COLORS[i % COLORS.length],
        width: 2,
        dash: s.dash || 'solid',
        simplify: false,
      },
      marker: { size: 5 },
    }));
    // The card's heading names the chart; plotly draws no title of its own.
    const { xTitle, yTitle, logY, yRange } = this.options;
    const legend = this.series.length > 1;
    // Series arrays grow in place; a new datarevision tells plotly to read them again.
    this.revision += 1;
    const layout = {
      datarevision: this.revision,
      margin: { l: 60, r: 16, t: legend ? 34 : 12, b: 48 },
      xaxis: { title: { text: xTitle }, zeroline: false, automargin: true },
      yaxis: {
        title: { text: yTitle },
        type: logY ? 'log' : 'linear',
        zeroline: false,
        automargin: true,
        range: yRange || undefined,
      },
      showlegend: legend,
      legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom' },
      hovermode: 'x unified',
      paper_bgcolor: '#ffffff',
      plot_bgcolor: '#ffffff',
      font: { family: 'system-ui, sans-serif', color: '#1a1f2b', size: 12 },
    };
    await Plotly.react(this.container, traces, layout, { displayModeBar: false, responsive: true });
    this.container.dataset.points = String(this.series.reduce((n, s) => n + s.x.length, 0));
    this.container.dataset.updatedAt = String(Date.now());
  }
}

/** The last value of a series, or undefined. */
export function last(series) {
  return series && series.y.length ? series.y[series.y.length - 1] : undefined;
}

/**
 * A confusion matrix as a table whose cells are shaded by their share of the row (the
 * gold label), so the diagonal reads as recall. Counts are printed in every cell.
 */
export function heatmapTable(labels, matrix, caption) {
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col' }, 'gold ↓ predicted →'),
    labels.map((label) => h('th', { scope: 'col' }, label)),
  );
  const rows = matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, labels[i]),
      row.map((count, j) => {
        const share = count / total;
        const style = `background: ${shade(share)}; color: ${share > 0.55 ? '#ffffff' : '#1a1f2b'}`;
        const title = `gold ${labels[i]}, predicted ${labels[j]}: ${count} (${Math.round(share * 100)}% of the row)`;
        return h('td', { style, title, dataset: { gold: labels[i], predicted: labels[j] } }, String(count));
      }),
    );
  });
  return h(
    'table',
    { class: 'heatmap' },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, head),
    h('tbody', {}, rows),
  );
}

function shade(share) {
  // White to #1d4ed8 (29, 78, 216).
  const mix = (to) => Math.round(255 + (to - 255) * share);
  return `rgb(${mix(29)}, ${mix(78)}, ${mix(216)})`;
}
