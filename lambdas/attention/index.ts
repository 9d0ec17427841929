/** Needs-attention records: the channel to a person (see model.ts and store.ts). */
export * from './errors';
export * from './metrics';
export * from './model';
export * from './store';
