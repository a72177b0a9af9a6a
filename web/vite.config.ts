/**
 * The playground's Vite config: `npm run web` serves web/ on localhost,
 * `npm run build:web` writes a static site to web/dist (relative paths, so
 * any static host and any sub-path will do).
 *
 * The WebAssembly kernels use a shared WebAssembly.Memory, which browsers only
 * allow on cross-origin isolated pages: these two headers turn that on (the
 * e2e server and web/public/_headers send the same). Served without them the
 * page still works, on the slower pure-TypeScript kernels.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export const CROSS_ORIGIN_ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  server: { headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2000 },
});
