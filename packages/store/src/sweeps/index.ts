export { SweepStore, MAX_SWEEPS_LISTED } from './sweep-store.js';
export { sweepMigration } from './sweep-schema.js';
export type * from './sweep-types.js';
