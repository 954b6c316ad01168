// The service worker: the app shell (pages, script, styles, the wasm and its JS glue) is precached so
// the app opens with no network at all; the API and the sync endpoint always go to the network.
//
// scripts/build-web replaces __BUILD__ with a digest of the built files, so every new build is a new
// service worker with its own cache, and the old cache is dropped when it activates.

const BUILD = '__BUILD__';
const CACHE = `carclub-shell-${BUILD}`;
const SHELL = [
  '/',
  '/index.html',
  '/app.js',
  '/app.css',
  '/i18n.js',
  '/manifest.webmanifest',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/pkg/carclub_web.js',
  '/pkg/carclub_web_bg.wasm',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith('carclub-shell-') && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

function networkOnly(url) {
  return url.pathname.startsWith('/api/') || url.pathname === '/sync' || url.pathname.startsWith('/sync/');
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || networkOnly(url)) return;

  if (request.mode === 'navigate') {
    // Any page of the app is the one-page shell.
    event.respondWith(
      caches.match('/index.html', { cacheName: CACHE }).then((cached) => cached ?? fetch(request)),
    );
    return;
  }
  event.respondWith(
    caches.match(request, { cacheName: CACHE, ignoreSearch: true }).then((cached) => cached ?? fetch(request)),
  );
});
