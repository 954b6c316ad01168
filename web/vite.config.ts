// The web app's build: three apps from one project, each its own page and bundle —
//   field/   现场  field staff on a phone (Vant; runs the device: client-core compiled to wasm)
//   member/  我的卡 members on a phone (Vant)
//   office/  后台  the back office on a desktop (Element Plus)
// plus a start page (index.html) that sends a person to theirs. UI components are imported on
// demand, so each page downloads only what it uses; the build prints each entry's size.
import { fileURLToPath, URL } from 'node:url'
import { constants as zlibConstants } from 'node:zlib'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { VantResolver } from '@vant/auto-import-resolver'
import { VitePWA } from 'vite-plugin-pwa'
import { compression, defineAlgorithm } from 'vite-plugin-compression2'
import { entryReport } from './tools/entry-report.ts'
import { precompressLate } from './tools/precompress-late.ts'

const page = (path: string) => fileURLToPath(new URL(path, import.meta.url))

export default defineConfig({
  plugins: [
    vue(),
    // Components used in templates are imported on demand with their styles. Functions called
    // from code (ElMessage, showToast…) are imported by name, with their styles, where used.
    Components({
      resolvers: [ElementPlusResolver(), VantResolver()],
      dts: false,
    }),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      filename: 'sw.js',
      manifest: {
        name: '车友汇',
        short_name: '车友汇',
        description: '车友汇会员俱乐部：现场入会、离线登记、会员卡与后台管理',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f3f5f9',
        theme_color: '#12408f',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // Every page, script, style, icon and the device's wasm, with content hashes.
        globPatterns: ['**/*.{html,js,css,wasm,png,svg,webmanifest}'],
        // The wasm is larger than Workbox's 2 MiB default: without this it would be skipped and
        // the field app would not start offline.
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        // A navigation to a page not precached falls back to the start page; the API and the
        // sync socket are never answered from the cache.
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api(\/|$)/, /^\/sync(\/|$)/],
        cleanupOutdatedCaches: true,
      },
    }),
    entryReport(),
    // Every text file and the wasm also written as Brotli (.br) and gzip (.gz) at their best
    // settings, once, at build time: the server sends these bytes as they are to a browser that
    // accepts them instead of compressing on each request (server/src/http/webapp.rs).
    compression({
      include: /\.(html|js|mjs|css|json|svg|wasm|webmanifest)$/,
      algorithms: [
        defineAlgorithm('brotliCompress', { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }),
        defineAlgorithm('gzip', { level: 9 }),
      ],
      logLevel: 'silent',
    }),
    precompressLate(),
  ],
  resolve: {
    alias: { '@': page('./src') },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: {
        start: page('./index.html'),
        field: page('./field/index.html'),
        member: page('./member/index.html'),
        office: page('./office/index.html'),
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/sync': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
})
