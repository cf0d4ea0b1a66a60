import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

// vega and vega-lite are loaded on first use: other commands never pay for them.

/** A vega-lite spec compiled to vega and rendered headless (no canvas, no browser) as SVG. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function writeChart(dir: string, file: string, spec: TopLevelSpec): Promise<string> {
  await writeFile(join(dir, file), await renderSvg(spec));
  return file;
}

const BASE = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white', config: { font: 'sans-serif' } } as const;

/** One bar per category, its value printed on it; optionally dashed target lines, labelled at the right. */
export function barChart(o: {
  title: string;
  rows: Record<string, unknown>[];
  x: string;
  y: string;
  yTitle: string;
  label?: string;
  targets?: { value: number; label: string }[];
}): TopLevelSpec {
  const width = 420;
  const bars = {
    encoding: {
      x: { field: o.x, type: 'nominal', sort: null, axis: { labelAngle: 0, labelLimit: 240 }, title: null },
      y: { field: o.y, type: 'quantitative', title: o.yTitle },
    },
    layer: [
      { mark: { type: 'bar', color: '#4c78a8' } },
      {
        mark: { type: 'text', dy: -6, fontSize: 11 },
        encoding: { text: { field: o.label ?? o.y, type: o.label ? 'nominal' : 'quantitative' } },
      },
    ],
  };
  const layers: unknown[] = [bars];
  if (o.targets && o.targets.length > 0) {
    const y = { field: 'v', type: 'quantitative' };
    layers.push({
      data: { values: o.targets.map((t) => ({ v: t.value, label: t.label })) },
      layer: [
        { mark: { type: 'rule', color: '#e45756', strokeDash: [4, 3] }, encoding: { y } },
        {
          mark: { type: 'text', align: 'right', x: width - 4, dy: -5, color: '#e45756', fontSize: 10 },
          encoding: { y, text: { field: 'label' } },
        },
      ],
    });
  }
  return { ...BASE, title: o.title, width, height: 240, data: { values: o.rows }, layer: layers } as TopLevelSpec;
}

/** Bars side by side within each category: `series` picks the colour and the offset. */
export function groupedBarChart(o: {
  title: string;
  rows: { category: string; series: string; value: number }[];
  yTitle: string;
}): TopLevelSpec {
  return {
    ...BASE,
    title: o.title,
    width: 360,
    height: 240,
    data: { values: o.rows },
    mark: 'bar',
    encoding: {
      x: { field: 'category', type: 'nominal', sort: null, axis: { labelAngle: -35, labelAlign: 'right' }, title: null },
      xOffset: { field: 'series', sort: null },
      y: { field: 'value', type: 'quantitative', title: o.yTitle },
      color: { field: 'series', sort: null, title: null, legend: { labelLimit: 320, orient: 'bottom', direction: 'vertical' } },
      tooltip: [{ field: 'series' }, { field: 'value', type: 'quantitative' }],
    },
  } as TopLevelSpec;
}

/** Per-core utilisation over time, one panel per run. */
export function coreTimeline(o: {
  title: string;
  runs: string[];
  rows: { run: string; t: number; core: string; busy: number }[];
}): TopLevelSpec {
  return {
    ...BASE,
    title: o.title,
    data: { values: o.rows },
    facet: {
      row: { field: 'run', type: 'nominal', sort: o.runs, title: null, header: { labelAngle: 0, labelAlign: 'left', labelOrient: 'top' } },
    },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 480,
      height: 90,
      // A sample is the busy share of the interval that ends at its time.
      mark: { type: 'line', interpolate: 'step-before', strokeWidth: 1.2 },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'seconds into the run' },
        y: { field: 'busy', type: 'quantitative', title: 'busy', axis: { format: '%' }, scale: { domain: [0, 1] } },
        color: { field: 'core', type: 'nominal', title: 'core' },
      },
    },
  } as TopLevelSpec;
}

/** A metric against concurrency (log scale), the recommended value marked. */
export function sweepChart(o: {
  title: string;
  rows: { concurrency: number; value: number }[];
  yTitle: string;
  mark?: number;
}): TopLevelSpec {
  const height = 220;
  const x = { field: 'concurrency', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'concurrency C (requests open at once)' };
  const line = {
    encoding: { x, y: { field: 'value', type: 'quantitative', title: o.yTitle } },
    layer: [
      { mark: { type: 'line', point: true, color: '#4c78a8' } },
      { mark: { type: 'text', dy: -8, fontSize: 10 }, encoding: { text: { field: 'value', type: 'quantitative', format: '.4~' } } },
    ],
  };
  const layers: unknown[] = [line];
  if (o.mark !== undefined) {
    const at = { ...x, field: 'concurrency' };
    layers.push({
      data: { values: [{ concurrency: o.mark, label: `recommended C = ${o.mark}` }] },
      layer: [
        { mark: { type: 'rule', color: '#54a24b', strokeDash: [4, 3] }, encoding: { x: at } },
        // At the foot of the chart, clear of the values printed at the top.
        {
          mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, y: height - 6, color: '#54a24b', fontSize: 10 },
          encoding: { x: at, text: { field: 'label' } },
        },
      ],
    });
  }
  return { ...BASE, title: o.title, width: 420, height, data: { values: o.rows }, layer: layers } as TopLevelSpec;
}
