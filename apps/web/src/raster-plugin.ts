import type uPlot from 'uplot';
import { composite, packColor, rasterizeLine, type Box } from './line-raster.js';

/**
 * A uPlot plugin that draws a chart's lines itself (line-raster.ts) instead
 * of stroking a path per series: uPlot keeps the scales, axes, cursor and
 * zoom, its series build no paths, and after each draw the shown lines are
 * composited into one image laid over the plot box. Each line's pixels are
 * kept until the view changes (data, x or y range, size), so showing or
 * hiding a line costs a composite, not a rasterization of every line.
 */
export function rasterLines(): uPlot.Plugin {
  /** Per series index: its pixels in the current view. */
  let cache: Array<Int32Array | undefined> = [];
  let cachedView = '';
  let cachedData: uPlot.AlignedData | null = null;
  /** Per series index: its stroke packed for {@link composite}. */
  let colors: number[] = [];
  const layer = document.createElement('canvas');
  let image: ImageData | null = null;

  const draw = (u: uPlot): void => {
    const { left, top, width, height } = u.bbox;
    const x = u.scales['x']!;
    const y = u.scales['y']!;
    if (width <= 0 || height <= 0 || x.min === undefined || x.max === undefined || y.min === undefined || y.max === undefined) return;
    const thickness = Math.max(1, Math.round(window.devicePixelRatio || 1));
    const view = `${x.min} ${x.max} ${y.min} ${y.max} ${width} ${height} ${thickness}`;
    if (view !== cachedView || u.data !== cachedData) {
      cache = [];
      cachedView = view;
      cachedData = u.data;
    }
    const xs = u.data[0] as ArrayLike<number>;
    // One point beyond each end of the range, so lines run to the box's edges.
    const i0 = Math.max(0, lowerBound(xs, x.min) - 1);
    const i1 = Math.min(xs.length - 1, lowerBound(xs, x.max) + 1);
    const box: Box = { width, height, thickness, x: { min: x.min, max: x.max, log: false }, y: { min: y.min, max: y.max, log: y.distr === 3 } };
    const lines: Array<{ pixels: Int32Array; rgba: number }> = [];
    for (let i = 1; i < u.series.length; i++) {
      if (!u.series[i]!.show) continue;
      const pixels = (cache[i] ??= rasterizeLine(xs, u.data[i] as ArrayLike<number | null | undefined>, i0, i1, box));
      lines.push({ pixels, rgba: colors[i]! });
    }
    if (image === null || image.width !== width || image.height !== height) {
      layer.width = width;
      layer.height = height;
      image = new ImageData(width, height);
    }
    composite(new Uint32Array(image.data.buffer), lines);
    layer.getContext('2d')!.putImageData(image, 0, 0);
    u.ctx.drawImage(layer, left, top);
  };

  return {
    opts: (_u, opts) => {
      // uPlot builds no path for a line: the plugin draws them all at once.
      for (const s of opts.series.slice(1)) s.paths = () => null;
    },
    hooks: {
      init: (u) => {
        // A canvas serializes any CSS colour (hex, hsl()) as `#rrggbb` or `rgba()`.
        const ctx = layer.getContext('2d')!;
        colors = u.series.map((s, i) => {
          ctx.fillStyle = i === 0 ? '#000' : String(typeof s.stroke === 'function' ? s.stroke(u, i) : (s.stroke ?? '#000'));
          return packColor(String(ctx.fillStyle));
        });
      },
      draw,
    },
  };
}

/** The first index whose value is >= v in ascending `xs`. */
function lowerBound(xs: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
