import { MemoryStore } from '../../../src/store/memory-store.js';
import { storeContract } from './store-contract.js';

storeContract('memory', {
  fresh: async (now) => new MemoryStore({ now }),
  release: async (store) => store.close(),
});
