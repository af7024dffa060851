/// <reference types="vitest" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The build lands in KTUNE_UI_OUT_DIR (the CMake build folder) when set, so a source tree
// holds no build output; `ktune server` embeds it. `npm run dev` proxies the API to a
// `ktune server` on KTUNE_SERVER (default http://127.0.0.1:8080).
const server = process.env.KTUNE_SERVER ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: process.env.KTUNE_UI_OUT_DIR ?? "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
  server: {
    proxy: {
      "/apis": { target: server, changeOrigin: true },
      "/api": { target: server, changeOrigin: true },
      "/healthz": { target: server },
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "src/**/*.test.tsx"],
  },
});
