export { defaultDemoConfig, loadConfig, parseConfig, resolveConfig, type LoadOptions } from './load-config.js';
export { parseListen } from './schema.js';
export * from './types.js';
