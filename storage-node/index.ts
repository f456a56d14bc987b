// What other parts (the replicators, the launcher) use of the storage node.
export { startStorageNode, type StorageNode } from './server.js';
export { loadStorageConfig, type StorageConfig, type StorageSettings } from './config.js';
export { listAsyncPendings, readAsyncPending, ASYNC_PENDING_VERSION, type AsyncPending, type UpdateTarget } from './async-pending.js';
export { UpdateSender } from './updates.js';
export { Devices, policyDevice, type Device } from './devices.js';
export { DIR_MODE, FILE_MODE, useOwnerOnlyUmask } from './durable.js';
