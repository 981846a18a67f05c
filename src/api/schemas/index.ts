/** One import for the API, the CLI and the config loader. */
export * from './common.js';
export * from './host.js';
export * from './incident.js';
export * from './issues.js';
export * from './operator.js';
export * from './target.js';
export * from './vm.js';
