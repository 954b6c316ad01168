// The start page: only registers the service worker, so that every app is cached from the first
// visit and opens with no network.
import { registerSW } from 'virtual:pwa-register'

if ('serviceWorker' in navigator) registerSW({ immediate: true })
