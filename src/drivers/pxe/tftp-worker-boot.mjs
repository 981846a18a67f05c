// Entry point of the TFTP transfer worker threads (tftp-workers.ts). Node 20 does not load a
// worker's TypeScript file through the hooks of its parent, whether they came from
// `node --import tsx`, the tsx CLI or tsx's register API (bin/3rc.js): the worker registers tsx
// itself (tsx is a runtime dependency), then loads the real worker.
import { register } from 'tsx/esm/api';

register();
await import('./tftp-worker.ts');
