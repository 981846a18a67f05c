/** Prometheus metrics of the controller (prom-client, a registry of its own). */
export type { BootStats } from './boot-metrics.js';
export { ControllerMetrics, type MetricsController, type MetricsOptions, type MetricsSource } from './controller-metrics.js';
export { withProbeTiming, type ProbeKind } from './timed-prober.js';
