// Resources: the server's CPU, memory and GPU use over time (GET /v1/resources, polled
// every 2 s), the running jobs' processes, and one job's figures over its run.

import { api, formatBytes, h, num, param, showError } from './api.js';
import { LineChart, last } from './charts.js';

const $ = (id) => document.getElementById(id);
const GB = 1024 ** 3;
const samples = [];
let lastTime = null;

const percent = (series) => series.map((s) => `${s.name} ${num(last(s), 0)}%`).join(', ');
const gigabytes = (series) => series.map((s) => `${s.name} ${num(last(s), 2)} GB`).join(', ');
const cpuChart = new LineChart($('cpu-chart'), {
  title: 'CPU use over time: the machine in % of all cores, the server in % of one core',
  xTitle: '',
  yTitle: '%',
  summary: percent,
});
const memoryChart = new LineChart($('memory-chart'), {
  title: 'Memory use over time',
  xTitle: '',
  yTitle: 'GB',
  summary: gigabytes,
});
const gpuChart = new LineChart($('gpu-chart'), {
  title: 'GPU utilisation over time',
  xTitle: '',
  yTitle: '%',
  summary: percent,
  yRange: [0, 100],
});
const gpuMemoryChart = new LineChart($('gpu-memory-chart'), {
  title: 'GPU memory over time',
  xTitle: '',
  yTitle: 'GB',
  summary: gigabytes,
});
const jobCpuChart = new LineChart($('job-cpu-chart'), {
  title: 'Job process CPU per step',
  xTitle: 'step',
  yTitle: '% of one core',
  summary: percent,
});
const jobMemoryChart = new LineChart($('job-memory-chart'), {
  title: 'Job process memory per step',
  xTitle: 'step',
  yTitle: 'GB',
  summary: gigabytes,
});

function series(name, pick) {
  return { name, x: samples.map((s) => new Date(s.time * 1000)), y: samples.map(pick) };
}

function drawServer() {
  const now = samples[samples.length - 1];
  $('r-cpu').textContent = `${num(now.cpu_percent, 0)}% of ${now.cpu_count} cores`;
  $('r-memory').textContent =
    `${formatBytes(now.memory_used_bytes)} of ${formatBytes(now.memory_total_bytes)}`;
  $('r-process-cpu').textContent =
    `${num(now.process.cpu_percent, 0)}% (${now.process.processes} process${now.process.processes === 1 ? '' : 'es'})`;
  $('r-process-memory').textContent = formatBytes(now.process.rss_bytes);
  $('r-gpus').textContent = now.gpus.length
    ? now.gpus.map((g) => `${g.name}: ${num(g.utilization_percent, 0)}%`).join('; ')
    : 'none detected';
  cpuChart.set([
    series('machine', (s) => s.cpu_percent),
    series('server and its jobs', (s) => s.process.cpu_percent),
  ]);
  memoryChart.set([
    series('machine used', (s) => s.memory_used_bytes / GB),
    series('server and its jobs', (s) => s.process.rss_bytes / GB),
  ]);
  const gpus = now.gpus.map((g) => g.index);
  $('gpu-section').hidden = $('gpu-memory-section').hidden = !gpus.length;
  if (gpus.length) {
    const gpu = (index, field, scale) => (s) =>
      (s.gpus.find((g) => g.index === index)?.[field] ?? null) / scale;
    gpuChart.set(gpus.map((i) => series(`GPU ${i}`, gpu(i, 'utilization_percent', 1))));
    gpuMemoryChart.set(gpus.map((i) => series(`GPU ${i}`, gpu(i, 'memory_used_bytes', GB))));
  }
}

function drawJobs(jobs) {
  const body = $('running-jobs').tBodies[0];
  body.replaceChildren(
    ...(jobs.length
      ? jobs.map((job) =>
          h(
            'tr',
            {},
            h('td', {}, h('a', { href: `/runs/${job.id}`, class: 'mono' }, job.id)),
            h('td', {}, job.model_name),
            h('td', { class: 'num' }, job.total_steps ? `${job.step} / ${job.total_steps}` : '–'),
            h('td', { class: 'num' }, job.resources ? `${num(job.resources.cpu_percent, 0)}%` : '–'),
            h('td', { class: 'num' }, formatBytes(job.resources?.rss_bytes)),
            h('td', { class: 'num' }, formatBytes(job.resources?.gpu_memory_bytes)),
          ),
        )
      : [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No job is running.'))]),
  );
}

async function poll() {
  const answer = await api(`/v1/resources${lastTime ? `?since=${lastTime}` : ''}`);
  samples.push(...answer.samples);
  samples.splice(0, Math.max(0, samples.length - 1800));
  if (samples.length) lastTime = samples[samples.length - 1].time;
  if (samples.length) drawServer();
  drawJobs(answer.jobs);
}

async function showJob(id) {
  if (!id) return;
  const history = await api(`/v1/fine-tunes/${id}/history?types=step`);
  const steps = history.data.filter((e) => e.data.resources);
  const x = steps.map((e) => e.data.step);
  jobCpuChart.set([{ name: 'CPU', x, y: steps.map((e) => e.data.resources.cpu_percent) }]);
  jobMemoryChart.set([{ name: 'memory', x, y: steps.map((e) => e.data.resources.rss_bytes / GB) }]);
}

async function start() {
  await poll();
  performance.mark('oi:first-content');
  setInterval(() => poll().catch(() => {}), 2000);
  const jobs = await api('/v1/fine-tunes?limit=100');
  $('job-pick').replaceChildren(
    ...jobs.data.map((job) =>
      h('option', { value: job.id }, `${job.model_name} · ${job.id} · ${job.status}`),
    ),
  );
  const wanted =
    param('job') ||
    jobs.data.find((j) => j.status === 'running')?.id ||
    jobs.data.find((j) => j.progress?.resources)?.id;
  if (wanted) $('job-pick').value = wanted;
  await showJob($('job-pick').value);
}

$('job-pick').addEventListener('change', () => showJob($('job-pick').value).catch(() => {}));
start().catch((error) => showError($('resource-stats'), error));
