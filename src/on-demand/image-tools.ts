/**
 * The machine-image tools the request service calls (src/on-demand/images), as one interface so
 * that the service can be driven on the simulated rack, where no disk exists, by a fake whose
 * name says so (test/unit/on-demand). The real ones run qemu-img and genisoimage.
 */
import type { EraseReport, FirstBootData } from './catalogue-types.js';
import { buildNoCloudSeed, createOverlay, eraseOverlay, removeSeed, renderDomainXml, type DomainSpec } from './images/index.js';

export interface ImageTools {
  createOverlay(req: { baseImage: string; format: 'qcow2' | 'raw'; overlayPath: string; sizeGb: number; signal?: AbortSignal }): Promise<void>;
  eraseOverlay(req: { overlayPath: string; mode: 'overwrite' | 'discard'; signal?: AbortSignal }): Promise<EraseReport>;
  buildNoCloudSeed(req: { dir: string; data: FirstBootData; signal?: AbortSignal }): Promise<string>;
  removeSeed(path: string): Promise<void>;
  renderDomainXml(spec: DomainSpec): string;
}

export const realImageTools: ImageTools = { createOverlay, eraseOverlay, buildNoCloudSeed, removeSeed, renderDomainXml };
