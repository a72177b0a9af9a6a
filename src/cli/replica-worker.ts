/**
 * A worker thread holding one Replica of the model being trained (see threads.ts).
 *
 * After `init` it serves step requests in a loop, not through 'message' events: the main thread
 * posts a request on the channel's port and raises a flag in shared memory; this thread spins on
 * the flag for a moment (the next request usually comes within a millisecond), then sleeps on it
 * (Atomics.wait), takes the message with receiveMessageOnPort and raises the result flag. On this
 * machine a round trip costs about 30 µs this way, against about 100 µs through events, which
 * matters on small batches (a step of the small workload is about 1 ms).
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { NativeKernels } from '../kernels/native/native-kernels.js';
import { WasmKernels, type WasmVariant } from '../kernels/wasm/wasm-kernels.js';
import { Replica, type ReplicaInit, type ReplicaStepRequest } from '../train/data-parallel.js';
import { enableRelaxedSimd } from './engine.js';
import { CLOSE, REQUEST, RESULT, waitForChange } from './replica-flags.js';

enableRelaxedSimd();

/** The next request usually comes within a millisecond of the answer: spin that long before sleeping. */
const REQUEST_SPIN_MILLISECONDS = 1;

parentPort!.once('message', async (message: { type: 'init'; init: ReplicaInit; port: MessagePort; flags: SharedArrayBuffer }) => {
  let replica: Replica;
  try {
    replica = await Replica.create(message.init, async (variant, memory) =>
      variant.startsWith('native-') ? NativeKernels.create(variant.slice('native-'.length), memory) : WasmKernels.create(variant as WasmVariant, memory),
    );
  } catch (error) {
    parentPort!.postMessage({ type: 'error', error: (error as Error).message });
    return;
  }
  parentPort!.postMessage({ type: 'ready' });
  const { port } = message;
  const flags = new Int32Array(message.flags);
  for (;;) {
    waitForChange(flags, REQUEST, 0, REQUEST_SPIN_MILLISECONDS);
    if (Atomics.load(flags, REQUEST) === CLOSE) break;
    Atomics.store(flags, REQUEST, 0);
    const request = receiveMessageOnPort(port)?.message as { request: ReplicaStepRequest } | undefined;
    try {
      if (!request) throw new Error('a step was signalled without a request');
      port.postMessage({ type: 'result', result: replica.step(request.request) });
    } catch (error) {
      port.postMessage({ type: 'error', error: (error as Error).message });
    }
    Atomics.store(flags, RESULT, 1);
    Atomics.notify(flags, RESULT);
  }
  port.close();
});
