import { CohortError } from '@cohort/protocol';
import { Histogram } from './histogram.js';
import { Table, type PlotSpec, type TableCell } from './table.js';

/**
 * Charts built on {@link Table} (W&B's `wandb.plot.*`): each returns a table
 * of the points with a plot spec the dashboard draws.
 */

/** Options of the plots that take a title. */
export interface PlotOptions {
  title?: string;
}

/** Options of {@link prCurve} and {@link rocCurve}. */
export interface CurveOptions extends PlotOptions {
  /** Class names by index. @defaultValue the indices */
  labels?: readonly string[];
  /** Only these class indices. @defaultValue all */
  classesToPlot?: readonly number[];
}

/** Most points per curve (thresholds are thinned evenly past it). */
const MAX_CURVE_POINTS = 1000;

function withPlot(table: Table, plot: PlotSpec): Table {
  const t = new Table({ columns: table.columns, data: table.data });
  t.plot = plot;
  return t;
}

function checkColumn(table: Table, name: string, what: string): void {
  if (!(table instanceof Table)) throw new TypeError(`Expected the first argument of plot.${what} to be a Table`);
  if (!table.columns.includes(name)) throw new CohortError('INVALID_ARGUMENT', `Expected plot.${what} column ${JSON.stringify(name)} to be one of ${table.columns.join(', ')}`);
}

function title(options: PlotOptions): { title?: string } {
  return options.title === undefined ? {} : { title: String(options.title) };
}

/** A line of `y` over `x` (one line per value of `stroke` when given). */
export function line(table: Table, x: string, y: string, options: PlotOptions & { stroke?: string } = {}): Table {
  checkColumn(table, x, 'line');
  checkColumn(table, y, 'line');
  if (options.stroke !== undefined) checkColumn(table, options.stroke, 'line');
  return withPlot(table, { kind: 'line', x, y, ...(options.stroke !== undefined && { series: options.stroke }), ...title(options) });
}

/** Points of `y` over `x`. */
export function scatter(table: Table, x: string, y: string, options: PlotOptions = {}): Table {
  checkColumn(table, x, 'scatter');
  checkColumn(table, y, 'scatter');
  return withPlot(table, { kind: 'scatter', x, y, ...title(options) });
}

/** A bar of `value` per `label`. */
export function bar(table: Table, label: string, value: string, options: PlotOptions = {}): Table {
  checkColumn(table, label, 'bar');
  checkColumn(table, value, 'bar');
  return withPlot(table, { kind: 'bar', x: label, y: value, ...title(options) });
}

/** A histogram of the numbers of one column. */
export function histogram(table: Table, value: string, options: PlotOptions & { numBins?: number } = {}): Table {
  checkColumn(table, value, 'histogram');
  const values = table.column(value).filter((v): v is number => typeof v === 'number');
  const h = new Histogram(values, { numBins: options.numBins ?? 64 });
  const t = new Table({ columns: ['bin', 'count'], data: h.values.map((c, i) => [(h.bins[i]! + h.bins[i + 1]!) / 2, c]) });
  t.plot = { kind: 'histogram', x: 'bin', y: 'count', ...title(options) };
  return t;
}

function checkCurveInput(yTrue: ArrayLike<number>, yProbas: ArrayLike<ArrayLike<number> | number>, what: string): number[][] {
  if (yTrue.length !== yProbas.length) throw new CohortError('INVALID_ARGUMENT', `Expected plot.${what} yTrue and yProbas to have equal lengths, got ${yTrue.length} and ${yProbas.length}`);
  if (yTrue.length === 0) throw new CohortError('INVALID_ARGUMENT', `Expected plot.${what} to get at least one sample`);
  // A flat array of scores is a binary problem: [1 - p, p].
  return Array.from(yProbas as ArrayLike<ArrayLike<number> | number>, (p) => (typeof p === 'number' ? [1 - p, p] : Array.from(p, Number)));
}

/** Per class: points `(a, b)` of a threshold sweep over the scores. */
function sweep(yTrue: ArrayLike<number>, probas: number[][], cls: number, point: (tp: number, fp: number, pos: number, neg: number) => [number, number]): Array<[number, number]> {
  const order = probas.map((p, i) => [p[cls] ?? 0, Number(yTrue[i]) === cls ? 1 : 0] as const).sort((a, b) => b[0] - a[0]);
  const pos = order.reduce((n, [, y]) => n + y, 0);
  const neg = order.length - pos;
  const pts: Array<[number, number]> = [point(0, 0, pos, neg)];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (order[i]![1] === 1) tp++;
    else fp++;
    if (i === order.length - 1 || order[i + 1]![0] !== order[i]![0]) pts.push(point(tp, fp, pos, neg));
  }
  if (pts.length <= MAX_CURVE_POINTS) return pts;
  const step = (pts.length - 1) / (MAX_CURVE_POINTS - 1);
  return Array.from({ length: MAX_CURVE_POINTS }, (_, i) => pts[Math.round(i * step)]!);
}

function curve(kind: 'pr-curve' | 'roc-curve', yTrue: ArrayLike<number>, yProbas: ArrayLike<ArrayLike<number> | number>, options: CurveOptions): Table {
  const what = kind === 'pr-curve' ? 'prCurve' : 'rocCurve';
  const probas = checkCurveInput(yTrue, yProbas, what);
  const classes = options.classesToPlot ?? probas[0]!.map((_, i) => i);
  const [xName, yName] = kind === 'pr-curve' ? ['recall', 'precision'] : ['fpr', 'tpr'];
  const rows: TableCell[][] = [];
  for (const c of classes) {
    const label = options.labels?.[c] ?? String(c);
    const pts = sweep(yTrue, probas, c, (tp, fp, pos, neg) =>
      kind === 'pr-curve' ? [pos === 0 ? 0 : tp / pos, tp + fp === 0 ? 1 : tp / (tp + fp)] : [neg === 0 ? 0 : fp / neg, pos === 0 ? 0 : tp / pos],
    );
    for (const [a, b] of pts) rows.push([label, a, b]);
  }
  const t = new Table({ columns: ['class', xName, yName], data: rows });
  t.plot = { kind, x: xName, y: yName, series: 'class', ...title(options) };
  return t;
}

/** Precision over recall per class, from true class indices and per-class scores (or binary scores). */
export function prCurve(yTrue: ArrayLike<number>, yProbas: ArrayLike<ArrayLike<number> | number>, options: CurveOptions = {}): Table {
  return curve('pr-curve', yTrue, yProbas, options);
}

/** True positive rate over false positive rate per class. */
export function rocCurve(yTrue: ArrayLike<number>, yProbas: ArrayLike<ArrayLike<number> | number>, options: CurveOptions = {}): Table {
  return curve('roc-curve', yTrue, yProbas, options);
}

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions extends PlotOptions {
  yTrue: ArrayLike<number>;
  preds: ArrayLike<number>;
  /** Class names by index. @defaultValue the indices seen */
  classNames?: readonly string[];
}

/** Counts of (actual, predicted) class pairs. */
export function confusionMatrix(options: ConfusionMatrixOptions): Table {
  const { yTrue, preds } = options;
  if (yTrue.length !== preds.length) throw new CohortError('INVALID_ARGUMENT', `Expected plot.confusionMatrix yTrue and preds to have equal lengths, got ${yTrue.length} and ${preds.length}`);
  const n = options.classNames?.length ?? Math.max(0, ...Array.from(yTrue, Number), ...Array.from(preds, Number)) + 1;
  if (n > 1000) throw new CohortError('INVALID_ARGUMENT', `Expected plot.confusionMatrix to have at most 1000 classes, got ${n}`);
  const names = Array.from({ length: n }, (_, i) => options.classNames?.[i] ?? String(i));
  const counts = new Array<number>(n * n).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    const a = Number(yTrue[i]);
    const p = Number(preds[i]);
    if (!Number.isInteger(a) || !Number.isInteger(p) || a < 0 || p < 0 || a >= n || p >= n) {
      throw new CohortError('INVALID_ARGUMENT', `Expected plot.confusionMatrix labels to be class indices from 0 to ${n - 1}, got ${a} and ${p} at ${i}`);
    }
    counts[a * n + p]! += 1;
  }
  const rows: TableCell[][] = [];
  for (let a = 0; a < n; a++) for (let p = 0; p < n; p++) rows.push([names[a]!, names[p]!, counts[a * n + p]!]);
  const t = new Table({ columns: ['Actual', 'Predicted', 'nPredictions'], data: rows });
  t.plot = { kind: 'confusion-matrix', classes: names, ...title(options) };
  return t;
}
