import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Built into dist/ and served by the gateway at / (same origin as the API: no CORS, cookies just work).
// `npm run dev` proxies the API to a `dlp2c serve` on :8080.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1200 },
  server: { proxy: { "/v1": "http://127.0.0.1:8080" } },
});
