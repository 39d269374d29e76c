// Builds the console into apps/console/dist: static files the broker serves at /console/
// (apps/server/src/console/console-assets.ts). One entry, one JS chunk and one CSS file; no
// dev server is needed to use it (`npm run build:console` then start a broker).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  // Preact's automatic JSX runtime (what tsconfig.json's jsxImportSource says for tsc).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The broker serves a flat directory (assets/<name>-<hash>.js): no nested chunks to guess.
    assetsDir: 'assets',
    chunkSizeWarningLimit: 400,
  },
});
