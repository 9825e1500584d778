/**
 * A small time-series chart (uPlot). Colours come from the stylesheet's custom
 * properties, so the chart is rebuilt when the theme changes; it follows its box's
 * width. A text summary sits beside it for screen readers.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** A CSS custom property holding the colour, e.g. --ok. */
  colorVar: string;
  values: Array<number | null>;
  /** Draw each value as a point too (sparse series, where lone values would not show as a line). */
  points?: boolean;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Chart({
  title,
  times,
  series,
  unit,
  theme,
  height = 140,
}: {
  title: string;
  /** Epoch seconds. */
  times: number[];
  series: ChartSeries[];
  unit: string;
  theme: string;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${theme}|${series.map((s) => `${s.label}:${s.colorVar}:${s.points}`).join(',')}|${unit}|${height}`;

  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt only when the chart's shape or theme changes; data goes through setData.
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const axis = cssVar('--muted');
    const grid = cssVar('--grid');
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          size: 44,
          values: (_u, values) => values.map((value) => `${+value.toFixed(2)}`),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: `${s.label} (${unit})`,
          stroke: cssVar(s.colorVar),
          width: 2,
          spanGaps: false,
          points: { show: s.points === true, size: 5 },
        })),
      ],
    };
    const chart = new uPlot(options, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, element);
    plot.current = chart;
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(200, element.clientWidth), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([times, ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  const summary = series
    .map((s) => {
      const known = s.values.filter((v): v is number => v !== null);
      const last = known.at(-1);
      return `${s.label}: latest ${last === undefined ? 'none' : `${+last.toFixed(2)} ${unit}`}`;
    })
    .join('; ');
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-box" role="img" aria-label={`${title}. ${summary}`} />
    </figure>
  );
}
