// Builds the console (/console/) and the tracking page (/track/) into the Python package, so
// the service serves them without Node. Hashed file names: `make console` twice gives the
// same bytes, which is what the stale-build check in `make test` compares.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  base: "/",
  resolve: {
    alias: { "@gen": here("../gen/ts") },
    // gen/ts sits outside web/: its imports resolve to web/node_modules, one copy.
    dedupe: ["@bufbuild/protobuf"],
  },
  build: {
    outDir: process.env.WEB_OUT_DIR ?? here("../src/logistics/web_assets"),
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      // bench/ is built only by bench/console.py (WEB_BENCH=1), never into the package.
      input: process.env.WEB_BENCH
        ? { bench: here("bench/index.html") }
        : { console: here("console/index.html"), track: here("track/index.html") },
    },
  },
});
