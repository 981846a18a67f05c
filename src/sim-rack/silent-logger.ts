/** The one logger that says nothing: the default of every simulated rack, bench run and test. */
import type { Logger } from '../env/env.js';

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
