/**
 * Media and data types for `run.log` (W&B's `wandb.Image`, `wandb.Table`,
 * `wandb.plot.*`...): each logs as a JSON descriptor with a string `_type`
 * plus a file in the run's files (`media/...`), uploaded to the blob store
 * in the background (files/media-uploader.ts).
 *
 * @example
 * import { Image, Table, plot } from '@cohort/sdk';
 * const t = new Table({ columns: ['epoch', 'acc'], data: [[1, 0.7], [2, 0.8]] });
 * run.log({ acc_curve: plot.line(t, 'epoch', 'acc', { title: 'accuracy' }) });
 */
export { Image, MAX_IMAGE_SIDE, type ImageDescriptor, type ImageOptions, type PixelData } from './image.js';
export { Histogram, MAX_HISTOGRAM_BINS, type HistogramFileDescriptor, type HistogramOptions } from './histogram.js';
export { Table, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, type PlotSpec, type TableCell, type TableDescriptor, type TableOptions } from './table.js';
export { Html, type HtmlDescriptor } from './html.js';
export { Audio, Video, type FileMediaDescriptor, type FileMediaOptions } from './file-media.js';
export type { MediaFileFields } from './media-file.js';
export { encodePng, crc32 } from './png-encoder.js';
export * as plot from './plot.js';
export type { PlotOptions, CurveOptions, ConfusionMatrixOptions } from './plot.js';
export { ModelWatcher, type WatchOptions, type WatchableModel, type WatchLog } from './model-watcher.js';
