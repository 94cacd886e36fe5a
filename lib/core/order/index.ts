export { InvalidSyncWaveError } from './errors';
export { applyBatches, deleteOrder, kindRank, syncWave } from './order';
