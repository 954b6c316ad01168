// The service worker and Workbox's runtime are written by vite-plugin-pwa after the bundle is
// closed, too late for vite-plugin-compression2: this step, which runs after it, writes their
// Brotli (.br) and gzip (.gz) copies the same way, so every script the server sends is
// precompressed (server/src/http/webapp.rs).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import type { Plugin, ResolvedConfig } from 'vite'

export function precompressLate(): Plugin {
  let outDir = 'dist'
  return {
    name: 'carclub-precompress-late',
    apply: 'build',
    configResolved(config: ResolvedConfig) {
      outDir = join(config.root, config.build.outDir)
    },
    closeBundle: {
      sequential: true,
      order: 'post',
      handler() {
        for (const name of readdirSync(outDir)) {
          if (!/^(sw|workbox-[\w-]+)\.js$/.test(name)) continue
          const file = join(outDir, name)
          const data = readFileSync(file)
          writeFileSync(
            `${file}.br`,
            brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
          )
          writeFileSync(`${file}.gz`, gzipSync(data, { level: 9 }))
        }
      },
    },
  }
}
