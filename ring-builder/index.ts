// The ring's public entry: what storage nodes, proxies and tools import.
export { Ring, readRingFile, writeRingFile, type RingData, type RingHeader, type RingOptions } from './ring.js';
export { RingBuilder, RingBuilderError, type RebalanceResult } from './builder.js';
export { type Device, formatDevice, parseDeviceSpec, parseSearchValue } from './devices.js';
