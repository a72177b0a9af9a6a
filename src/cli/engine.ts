/**
 * Node-specific engine settings. Relaxed SIMD (fused multiply-add, part of
 * the WebAssembly standard since 2023 and on by default in browsers) sits
 * behind a V8 flag in Node 20; turning it on before any kernels are compiled
 * lets `--backend auto` pick the fastest kernels there too.
 */
import { setFlagsFromString } from 'node:v8';
import { bytesBase64 } from '../kernels/wasm/generated/relaxed.js';

export function enableRelaxedSimd(): void {
  const bytes = Uint8Array.from(atob(bytesBase64), (c) => c.charCodeAt(0));
  if (!WebAssembly.validate(bytes)) setFlagsFromString('--experimental-wasm-relaxed-simd');
}
