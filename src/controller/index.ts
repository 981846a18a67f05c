/** The controller: probe loop, machines, action execution. Entry point of the folder. */
export { Controller, createController, phaseOf, type ControllerEvent, type ControllerOptions, type ProbeSettings } from './controller.js';
export { ActionExecutor, type ActionResult, type Inventory } from './executor.js';
export { fenceHost, DEFAULT_FENCE_OPTIONS, type FenceOptions } from './fence.js';
export type { ControllerApi, ControllerHealth, TargetStatus } from './types.js';
