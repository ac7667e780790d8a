// Builds the Svelte renderer. The same bundle is served two ways: by serve mode over HTTP and by the
// Electron shell from file://, hence the relative base.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [svelte()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // Electron and recent Chromium only: no legacy syntax transforms needed.
    target: 'es2022',
    // No inlined data: URLs for assets: the CSP allows only same-origin files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // The build is a few seconds on 2 cores; Rolldown's slow-plugin notice is noise in test output.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  server: { strictPort: false },
});
