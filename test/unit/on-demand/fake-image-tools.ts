/**
 * The image tools for the simulated rack, where no disk exists: overlays and seeds are map
 * entries, every call is logged in order, and a call can be made to fail or to hang once (a
 * controller dying during it). The real tools run against qemu-img in test/integration/on-demand.
 */
import type { EraseReport, FirstBootData } from '../../../src/on-demand/catalogue-types.js';
import type { ImageTools } from '../../../src/on-demand/image-tools.js';
import { renderDomainXml } from '../../../src/on-demand/images/index.js';

/** Overlays and seeds as map entries; every call is logged in order. */
export class FakeImageTools implements ImageTools {
  readonly overlays = new Map<string, { baseImage: string; sizeGb: number }>();
  readonly seeds = new Map<string, FirstBootData>();
  readonly calls: string[] = [];
  /** Set to make the next call of that name throw (a crash in the middle of a step). */
  failNext: Partial<Record<'createOverlay' | 'buildNoCloudSeed' | 'eraseOverlay' | 'removeSeed', Error>> = {};
  /** Set to make the next call of that name never answer (the controller dies during it). */
  hangNext: Partial<Record<'createOverlay' | 'buildNoCloudSeed' | 'eraseOverlay' | 'removeSeed', true>> = {};

  private async check(name: keyof FakeImageTools['failNext']): Promise<void> {
    if (this.hangNext[name]) {
      delete this.hangNext[name];
      await new Promise<never>(() => undefined);
    }
    const e = this.failNext[name];
    if (e) {
      delete this.failNext[name];
      throw e;
    }
  }

  async createOverlay(req: { baseImage: string; overlayPath: string; sizeGb: number }): Promise<void> {
    this.calls.push(`createOverlay ${req.overlayPath}`);
    await this.check('createOverlay');
    this.overlays.set(req.overlayPath, { baseImage: req.baseImage, sizeGb: req.sizeGb });
  }

  async eraseOverlay(req: { overlayPath: string; mode: 'overwrite' | 'discard' }): Promise<EraseReport> {
    this.calls.push(`eraseOverlay ${req.overlayPath}`);
    await this.check('eraseOverlay');
    const had = this.overlays.delete(req.overlayPath);
    return { overlayPath: req.overlayPath, method: had ? req.mode : 'absent', bytesOverwritten: 0 };
  }

  async buildNoCloudSeed(req: { dir: string; data: FirstBootData }): Promise<string> {
    this.calls.push(`buildNoCloudSeed ${req.data.instanceId}`);
    await this.check('buildNoCloudSeed');
    const path = `${req.dir}/${req.data.instanceId}-seed.iso`;
    this.seeds.set(path, req.data);
    return path;
  }

  async removeSeed(path: string): Promise<void> {
    this.calls.push(`removeSeed ${path}`);
    await this.check('removeSeed');
    this.seeds.delete(path);
  }

  renderDomainXml = renderDomainXml;
}

