/** A worker thread holding one Replica of the model being trained (see threads.ts). */
import { parentPort } from 'node:worker_threads';
import { WasmKernels } from '../kernels/wasm/wasm-kernels.js';
import { Replica, type ReplicaInit, type ReplicaStepRequest } from '../train/data-parallel.js';
import { enableRelaxedSimd } from './engine.js';

enableRelaxedSimd();
let replica: Replica | null = null;

parentPort!.on('message', async (message: { type: 'init'; init: ReplicaInit } | { type: 'step'; request: ReplicaStepRequest }) => {
  try {
    if (message.type === 'init') {
      replica = await Replica.create(message.init, (variant, memory) => WasmKernels.create(variant, memory));
      parentPort!.postMessage({ type: 'ready' });
    } else {
      parentPort!.postMessage({ type: 'result', result: replica!.step(message.request) });
    }
  } catch (error) {
    parentPort!.postMessage({ type: 'error', error: (error as Error).message });
  }
});
