/**
 * Lines rasterized in JavaScript, for charts of hundreds of lines: stroking
 * a hundred paths costs a software canvas (headless Chromium, a browser
 * without a GPU) about 100 ms per chart, while the pixels a line covers,
 * once listed, are written again in a millisecond. A line becomes a list of
 * pixel offsets (`row * width + column`) in a plot box: per pixel column
 * only its first, last, lowest and highest points matter (an M4 reduction),
 * so a line of a million points costs what one of a point per column does.
 * Lines are then composited in order into one RGBA buffer.
 */

/** How values map to a box's pixels along one axis. */
export interface Axis {
  min: number;
  max: number;
  /** Log-10 scale (values <= 0 are not drawn). */
  log: boolean;
}

/** Where a line is drawn: a box of `width` × `height` pixels, x to the right and y upwards. */
export interface Box {
  width: number;
  height: number;
  x: Axis;
  y: Axis;
  /** Line thickness in pixels (the device pixel ratio, rounded): each pixel stamped as a square. */
  thickness: number;
}

/** Pixels listed while rasterizing, grown as needed and copied out per line. */
let scratch = new Int32Array(1 << 16);
let count = 0;

const push = (offset: number): void => {
  if (count === scratch.length) {
    const grown = new Int32Array(scratch.length * 2);
    grown.set(scratch);
    scratch = grown;
  }
  scratch[count++] = offset;
};

/** The part of the segment being clipped that is kept: from t0 to t1 along it. */
let t0 = 0;
let t1 = 1;

/** Narrows [t0, t1] to where `p·t <= q` (one edge of Liang–Barsky); false when nothing is left. */
function clip(p: number, q: number): boolean {
  if (p === 0) return q >= 0;
  const r = q / p;
  if (p < 0) {
    if (r > t1) return false;
    if (r > t0) t0 = r;
  } else {
    if (r < t0) return false;
    if (r < t1) t1 = r;
  }
  return true;
}

/** How a value maps to a position along an axis of `size` pixels (0 at min, size - 1 at max); NaN when not drawable. */
function mapper(a: Axis, size: number): (v: number | null | undefined) => number {
  const f = a.log ? Math.log10 : (v: number): number => v;
  const lo = f(a.min);
  const span = f(a.max) - lo;
  const scale = span > 0 ? (size - 1) / span : 0;
  const offset = span > 0 ? 0 : (size - 1) / 2;
  return (v) => (v === null || v === undefined || !Number.isFinite(v) || (a.log && v <= 0) ? NaN : (f(v) - lo) * scale + offset);
}

/**
 * The pixels of a polyline through `(xs[i], ys[i])` for i in [i0, i1] (nulls
 * skipped, so gaps are spanned), clipped to the box. Offsets may repeat.
 */
export function rasterizeLine(xs: ArrayLike<number>, ys: ArrayLike<number | null | undefined>, i0: number, i1: number, box: Box): Int32Array {
  const { width, height, thickness } = box;
  count = 0;
  if (width <= 0 || height <= 0) return new Int32Array(0);
  const right = width - 1;
  const bottom = height - 1;
  const t = Math.max(1, Math.floor(thickness));
  const toX = mapper(box.x, width);
  const toY = mapper(box.y, height);
  const pixel =
    t === 1
      ? (x: number, y: number): void => push(y * width + x)
      : (x: number, y: number): void => {
          for (let dy = 0; dy < t && y + dy <= bottom; dy++) for (let dx = 0; dx < t && x + dx <= right; dx++) push((y + dy) * width + x + dx);
        };
  /** A segment between two points, clipped to the box (Liang–Barsky), drawn one pixel per step of its longer side. */
  const segment = (ax: number, ay: number, bx: number, by: number): void => {
    const dx = bx - ax;
    const dy = by - ay;
    t0 = 0;
    t1 = 1;
    if (!(clip(-dx, ax) && clip(dx, right - ax) && clip(-dy, ay) && clip(dy, bottom - ay))) return;
    const x0 = Math.round(ax + t0 * dx);
    const y0 = Math.round(ay + t0 * dy);
    const x1 = Math.round(ax + t1 * dx);
    const y1 = Math.round(ay + t1 * dy);
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0));
    if (steps === 0) {
      pixel(x0, y0);
      return;
    }
    const sx = (x1 - x0) / steps;
    const sy = (y1 - y0) / steps;
    for (let s = 0; s <= steps; s++) pixel(Math.round(x0 + s * sx), Math.round(y0 + s * sy));
  };
  // The column being gathered (M4): its lowest and highest row, and the last point in it.
  let column = -1;
  let low = 0;
  let high = 0;
  let lastX = NaN;
  let lastY = NaN;
  const flush = (): void => {
    if (column >= 0) for (let y = low; y <= high; y++) pixel(column, y);
    column = -1;
  };
  for (let i = i0; i <= i1; i++) {
    const px = toX(xs[i]);
    const py = bottom - toY(ys[i]);
    if (Number.isNaN(px) || Number.isNaN(py)) continue;
    const inside = px >= 0 && px <= right && py >= 0 && py <= bottom;
    const col = inside ? Math.round(px) : -1;
    const row = Math.round(py);
    if (inside && col === column) {
      // Same column as the last point: only its span grows.
      if (row < low) low = row;
      if (row > high) high = row;
    } else {
      flush();
      if (Number.isNaN(lastX)) {
        if (inside) pixel(col, row);
      } else segment(lastX, lastY, px, py);
      if (inside) {
        column = col;
        low = row;
        high = row;
      }
    }
    lastX = px;
    lastY = py;
  }
  flush();
  return scratch.slice(0, count);
}

/** Lines written in order into `out` (RGBA pixels as little-endian `0xAABBGGRR`), later lines on top; the rest cleared. */
export function composite(out: Uint32Array, lines: ReadonlyArray<{ pixels: Int32Array; rgba: number }>): void {
  out.fill(0);
  for (const { pixels, rgba } of lines) for (let i = 0; i < pixels.length; i++) out[pixels[i]!] = rgba;
}

/** A CSS colour as serialized by a canvas (`#rrggbb` or `rgba(r, g, b, a)`) packed as {@link composite} writes it. */
export function packColor(serialized: string): number {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(serialized);
  const rgba = /^rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\)$/.exec(serialized);
  const [r, g, b, a] = hex
    ? [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16), parseInt(hex[3]!, 16), 255]
    : rgba
      ? [Number(rgba[1]), Number(rgba[2]), Number(rgba[3]), Math.round(Number(rgba[4] ?? 1) * 255)]
      : [0, 0, 0, 255];
  return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0;
}
