/**
 * Machine-image tools for host on demand (issue 11), called by the request service: the disk
 * overlay, its erasure, the first-boot data (NoCloud seed or kickstart %post) and the domain XML.
 */
export { createOverlay, type CreateOverlayRequest } from './overlay.js';
export { eraseOverlay, type EraseOverlayRequest } from './erase-overlay.js';
export { buildNoCloudSeed, removeSeed, seedPath, SEED_VOLUME_LABEL, type BuildSeedRequest } from './nocloud-seed.js';
export { renderMetaData, renderNetworkConfig, renderUserData } from './cloud-init-data.js';
export { renderDomainXml, xmlEscape, type DomainSpec, type DomainNetwork } from './domain-xml.js';
export { renderKickstartFirstBoot, shellQuote } from './kickstart-first-boot.js';
export { validateFirstBootData, isValidHostname } from './first-boot-data.js';
