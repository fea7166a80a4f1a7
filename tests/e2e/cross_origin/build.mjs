// Bundles probe.ts (connect-web and the generated client in gen/ts) into one ES module with
// web/'s Vite: node build.mjs <vite index.js> <web/> <gen/ts> <probe.ts> <out dir>
const [vite, web, gen, entry, outDir] = process.argv.slice(2);
const { build } = await import(vite);
await build({
  configFile: false,
  root: web,
  logLevel: "warn",
  resolve: {
    alias: { "@gen": gen },
    // probe.ts and gen/ts sit outside web/: their imports resolve to web/node_modules.
    dedupe: ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-web"],
  },
  build: {
    outDir,
    emptyOutDir: true,
    minify: false,
    lib: { entry, formats: ["es"], fileName: () => "probe.js" },
  },
});
