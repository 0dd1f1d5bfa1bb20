import { defineConfig } from 'vite';

// The coordinator serves dist/ at `/` with a single-page fallback; the dev
// server proxies the API to a running `cohort server`.
export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': process.env['COHORT_URL'] ?? 'http://127.0.0.1:7712' } },
});
