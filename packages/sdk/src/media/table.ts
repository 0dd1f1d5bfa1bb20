import { CohortError, stringifyJson } from '@cohort/protocol';
import { mediaFile, type MediaFileFields } from './media-file.js';

/** A table cell: what JSON holds. */
export type TableCell = string | number | boolean | null;

/** Options of {@link Table}. */
export interface TableOptions {
  columns: readonly string[];
  /** Rows, each with one cell per column. @defaultValue [] */
  data?: ReadonlyArray<ReadonlyArray<TableCell>>;
}

/** How the dashboard draws a table made by `plot.*`. */
export interface PlotSpec {
  kind: 'line' | 'scatter' | 'bar' | 'histogram' | 'pr-curve' | 'roc-curve' | 'confusion-matrix';
  x?: string;
  y?: string;
  /** A column whose values split the rows into several lines. */
  series?: string;
  title?: string;
  classes?: string[];
}

/**
 * The JSON a {@link Table} logs as: the cells are the run file at `path`
 * (`{ columns, data }`, W&B's `table.json`), the plot spec stays here.
 */
export interface TableDescriptor extends MediaFileFields {
  _type: 'table';
  ncols: number;
  nrows: number;
  plot?: PlotSpec;
}

/** Most rows of one table; most columns. */
export const MAX_TABLE_ROWS = 10_000;
export const MAX_TABLE_COLUMNS = 500;

/**
 * A table to log (W&B's `wandb.Table`): named columns and rows of JSON cells.
 * The `plot.*` charts are tables with a {@link PlotSpec}.
 *
 * @example
 * const t = new Table({ columns: ['id', 'label', 'score'] });
 * t.addRow(1, 'cat', 0.9);
 * run.log({ predictions: t });
 */
export class Table {
  readonly columns: readonly string[];
  readonly #rows: TableCell[][] = [];
  plot: PlotSpec | undefined;

  constructor(options: TableOptions) {
    if (options === null || typeof options !== 'object' || !Array.isArray(options.columns)) {
      throw new TypeError('Expected the options of Table to be { columns: string[], data? }');
    }
    if (options.columns.length < 1 || options.columns.length > MAX_TABLE_COLUMNS) {
      throw new CohortError('INVALID_ARGUMENT', `Expected Table \`columns\` to hold 1 to ${MAX_TABLE_COLUMNS} names, got ${options.columns.length}`);
    }
    const seen = new Set<string>();
    for (const c of options.columns) {
      if (typeof c !== 'string' || c === '') throw new CohortError('INVALID_ARGUMENT', `Expected Table column names to be non-empty strings, got ${JSON.stringify(c)}`);
      if (seen.has(c)) throw new CohortError('INVALID_ARGUMENT', `Expected Table column names to be unique, got ${JSON.stringify(c)} twice`);
      seen.add(c);
    }
    this.columns = [...options.columns];
    for (const row of options.data ?? []) this.addRow(...row);
  }

  /** The rows (a copy). */
  get data(): TableCell[][] {
    return this.#rows.map((r) => [...r]);
  }

  /** Adds one row: one cell per column. */
  addRow(...cells: TableCell[]): void {
    if (cells.length !== this.columns.length) {
      throw new CohortError('INVALID_ARGUMENT', `Expected a Table row to hold ${this.columns.length} cells (one per column), got ${cells.length}`);
    }
    if (this.#rows.length >= MAX_TABLE_ROWS) throw new CohortError('RESOURCE_EXHAUSTED', `Expected a Table to hold at most ${MAX_TABLE_ROWS} rows`);
    cells.forEach((c, i) => {
      const t = typeof c;
      if (!(c === null || t === 'string' || t === 'number' || t === 'boolean')) {
        throw new TypeError(`Expected Table cell \`${this.columns[i]}\` to be a string, number, boolean or null, got ${t}`);
      }
    });
    this.#rows.push([...cells]);
  }

  /** The values of one column. */
  column(name: string): TableCell[] {
    const i = this.columns.indexOf(name);
    if (i < 0) throw new CohortError('INVALID_ARGUMENT', `Expected a column of the Table (${this.columns.join(', ')}), got ${JSON.stringify(name)}`);
    return this.#rows.map((r) => r[i]!);
  }

  toLogValue(): TableDescriptor {
    const json = stringifyJson({ columns: this.columns, data: this.#rows });
    return {
      _type: 'table',
      ncols: this.columns.length,
      nrows: this.#rows.length,
      ...(this.plot !== undefined && { plot: this.plot }),
      ...mediaFile('table', 'table.json', Buffer.from(json, 'utf8')),
    };
  }
}
