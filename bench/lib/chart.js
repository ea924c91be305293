/**
 * Charts for the benches: Vega-Lite specs rendered to SVG in Node, headless
 * (vega's View.toSVG needs no canvas and no browser).
 *
 *   const { renderChart, writeChart } = require('./chart');
 *   const svg = await renderChart({ rows, x: 'n', y: 'output_pps', color: 'config',
 *                                   title: 'Fanout', xTitle: 'subscribers', yTitle: 'packets/s',
 *                                   logX: true });
 *   await writeChart('bench/out/rate.svg', { rows, x: 'n', y: 'output_pps', color: 'config' });
 *
 * renderChart takes either a full Vega-Lite spec (anything with `mark`,
 * `layer`, a concat/facet/repeat or `$schema`; a Vega spec if `$schema` says
 * so) or the short form {rows, x, y, color?, title?, xTitle?, yTitle?, logX?,
 * logY?, width?, height?}, which draws one line with points per color value.
 * Rows whose y is null or not a number are left out (a config not measured).
 *
 * vega and vega-lite are ES modules; they are imported lazily so that
 * requiring this file costs nothing.
 */
'use strict';
const { mkdirSync, writeFileSync } = require('node:fs');
const path = require('node:path');

let libs = null;
async function load() {
  if (!libs) {
    const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
    libs = { vega, vegaLite };
  }
  return libs;
}

const SPEC_KEYS = ['$schema', 'mark', 'layer', 'hconcat', 'vconcat', 'concat', 'facet', 'repeat', 'spec'];

/** The Vega-Lite spec of the short form. */
function lineSpec(o) {
  const rows = (o.rows ?? []).filter((r) => typeof r[o.y] === 'number' && Number.isFinite(r[o.y]));
  const x = { field: o.x, type: 'quantitative', title: o.xTitle ?? o.x };
  if (o.logX) {
    const xs = [...new Set(rows.map((r) => r[o.x]))].sort((a, b) => a - b);
    // Exactly the measured range, ticks at the measured values.
    x.scale = xs.length > 1 ? { type: 'log', nice: false, domain: [xs[0], xs[xs.length - 1]] } : { type: 'log' };
    x.axis = { values: xs };
  }
  const y = { field: o.y, type: 'quantitative', title: o.yTitle ?? o.y };
  if (o.logY) y.scale = { type: 'log' };
  const encoding = { x, y, tooltip: [{ field: o.x }, { field: o.y }] };
  if (o.color) {
    encoding.color = { field: o.color, type: 'nominal', title: o.colorTitle ?? o.color, legend: { labelLimit: 400 } };
    // A fixed domain keeps each series' color the same from one chart to the next.
    if (o.colorDomain) encoding.color.scale = { domain: o.colorDomain };
    encoding.tooltip.push({ field: o.color });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width: o.width ?? 560,
    height: o.height ?? 320,
    background: 'white',
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding,
    config: { font: 'sans-serif' },
  };
}

/** Render a chart to an SVG string. */
async function renderChart(specOrOpts) {
  const { vega, vegaLite } = await load();
  const isSpec = SPEC_KEYS.some((k) => k in specOrOpts);
  let vgSpec;
  if (isSpec && typeof specOrOpts.$schema === 'string' && /\/vega\/v\d/.test(specOrOpts.$schema)) {
    vgSpec = specOrOpts; // already Vega
  } else {
    vgSpec = vegaLite.compile(isSpec ? specOrOpts : lineSpec(specOrOpts)).spec;
  }
  // No loader: every spec carries its data inline, nothing is fetched.
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Render a chart and write it to a file (directories created). Returns the path. */
async function writeChart(file, specOrOpts) {
  const svg = await renderChart(specOrOpts);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, svg);
  return file;
}

module.exports = { renderChart, writeChart, lineSpec };
