// A build step that reports, for each page of the app, everything it downloads — its scripts
// (loaded at once and loaded later), styles and other assets such as the wasm — with sizes raw and
// gzipped and the npm packages inside. It prints a table and writes `dist/build-report.json`,
// which the tests read to check that the phone apps carry no Element Plus and the back office no
// wasm.
import { gzipSync } from 'node:zlib'
import { basename, dirname } from 'node:path'
import type { Plugin } from 'vite'

interface EntryFiles {
  /** Files loaded when the page opens. */
  initial: Set<string>
  /** Files loaded later, by a dynamic import. */
  lazy: Set<string>
  packages: Set<string>
}

/** The npm package a module id comes from (`element-plus`, `@vant/use`…), if any. */
function packageOf(id: string): string | null {
  const at = id.lastIndexOf('node_modules/')
  if (at < 0) return null
  const parts = id.slice(at + 'node_modules/'.length).split('/')
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
}

export function entryReport(): Plugin {
  return {
    name: 'carclub-entry-report',
    apply: 'build',
    generateBundle(_options, bundle) {
      const size = new Map<string, { bytes: number; gzip: number }>()
      for (const [name, item] of Object.entries(bundle)) {
        const data = item.type === 'chunk' ? Buffer.from(item.code) : Buffer.from(item.source)
        size.set(name, { bytes: data.length, gzip: gzipSync(data, { level: 9 }).length })
      }
      const assetNames = Object.keys(bundle).filter((n) => bundle[n].type === 'asset')
      const entries = new Map<string, EntryFiles>()
      const visit = (name: string, into: EntryFiles, lazy: boolean, seen: Set<string>) => {
        if (seen.has(name)) return
        seen.add(name)
        const chunk = bundle[name]
        if (!chunk || chunk.type !== 'chunk') return
        ;(lazy ? into.lazy : into.initial).add(name)
        for (const id of chunk.moduleIds) {
          const pkg = packageOf(id)
          if (pkg) into.packages.add(pkg)
        }
        const meta = (chunk as { viteMetadata?: { importedCss: Set<string>; importedAssets: Set<string> } })
          .viteMetadata
        for (const css of meta?.importedCss ?? []) (lazy ? into.lazy : into.initial).add(css)
        for (const asset of meta?.importedAssets ?? []) into.lazy.add(asset)
        // Assets reached through `new URL(…, import.meta.url)` (the wasm) are named in the code.
        for (const asset of assetNames) {
          if (chunk.code.includes(basename(asset))) into.lazy.add(asset)
        }
        for (const next of chunk.imports) visit(next, into, lazy, seen)
        for (const next of chunk.dynamicImports) visit(next, into, true, seen)
      }
      for (const [name, item] of Object.entries(bundle)) {
        if (item.type !== 'chunk' || !item.isEntry || !item.facadeModuleId) continue
        const page = item.facadeModuleId.endsWith('.html')
          ? basename(dirname(item.facadeModuleId)) === 'web'
            ? 'start'
            : basename(dirname(item.facadeModuleId))
          : item.name
        const files: EntryFiles = { initial: new Set(), lazy: new Set(), packages: new Set() }
        visit(name, files, false, new Set())
        entries.set(page, files)
      }
      const total = (names: Iterable<string>) => {
        let bytes = 0
        let gzip = 0
        for (const n of names) {
          bytes += size.get(n)?.bytes ?? 0
          gzip += size.get(n)?.gzip ?? 0
        }
        return { bytes, gzip }
      }
      const report: Record<string, unknown> = {}
      const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`
      const lines = ['', 'entry     opens with (gzip)   later (gzip)   packages']
      for (const [page, files] of [...entries].sort()) {
        const initial = total(files.initial)
        const lazy = total([...files.lazy].filter((n) => !files.initial.has(n)))
        report[page] = {
          initial: { files: [...files.initial].sort(), ...initial },
          lazy: { files: [...files.lazy].filter((n) => !files.initial.has(n)).sort(), ...lazy },
          packages: [...files.packages].sort(),
        }
        lines.push(
          `${page.padEnd(9)} ${kib(initial.gzip).padStart(14)}   ${kib(lazy.gzip).padStart(12)}   ${[...files.packages].sort().join(', ')}`,
        )
      }
      console.log(lines.join('\n'))
      this.emitFile({ type: 'asset', fileName: 'build-report.json', source: JSON.stringify(report, null, 2) })
    },
  }
}
