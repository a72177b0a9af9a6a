/**
 * The training worker: receives the page's messages and runs them on one
 * Session, so training never blocks the page. Errors go back as one line.
 */
import { BpttError } from '../../src/index.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { Session } from './session.js';

const post = (message: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);
const session = new Session(post);

/**
 * One message at a time, in order: configure and load wait for the kernels, and a message arriving
 * meanwhile (start, another configure) must not run on the half-replaced session. The training
 * loop itself runs outside this queue (start returns at once), so pause is answered between slices.
 */
let queue: Promise<void> = Promise.resolve();
self.onmessage = (event: MessageEvent<ToWorker>) => {
  queue = queue.then(() => handle(event.data));
};

async function handle(message: ToWorker): Promise<void> {
  try {
    switch (message.type) {
      case 'configure':
        return await session.configure(message.text, message.source, message.settings, message.flowText);
      case 'load':
        return await session.load(message.bytes, message.name, message.text, message.source, message.flowText);
      case 'start':
        return session.start();
      case 'pause':
        return session.stop();
      case 'sample':
        return session.sample(message.request);
      case 'explain':
        return session.explain(message.request);
      case 'derive':
        return session.derive(message.text);
      case 'flow-text':
        return session.setFlowText(message.text);
      case 'save':
        return session.save();
    }
  } catch (error) {
    // A BpttError's message already names the problem and the way out.
    post({ type: 'error', message: error instanceof BpttError || error instanceof Error ? error.message : String(error) });
  }
}
