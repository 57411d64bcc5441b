// Kiosk service worker (scope /surveys/): the form and its assets load from the cache when the network is down, and a
// form sent while offline is kept on the tablet (kiosk-queue.js) and sent when the connection returns.
'use strict';
importScripts('/static/js/kiosk-queue.js');

var CACHE = 'cg-kiosk-v1';
var ASSETS = [
  '/static/css/site.css',
  '/static/favicon.svg',
  '/static/js/survey-form.js',
  '/static/js/kiosk.js',
  '/static/js/kiosk-queue.js',
  '/static/js/kiosk-offline.js',
];
// A network that neither answers nor fails (one bar of signal) is treated as down after this long.
var NETWORK_WAIT_MS = 8000;
// Fields the page adds for the queue; the server's form does not need them.
var QUEUE_FIELDS = ['answer_id', 'kiosk_pass', 'kiosk_day', 'kiosk_return'];

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (keys) { return Promise.all(keys.filter(function (key) { return key !== CACHE; }).map(function (key) { return caches.delete(key); })); })
      .then(function () { return self.clients.claim(); }),
  );
});

function network(request) {
  return new Promise(function (resolve, reject) {
    setTimeout(function () { reject(new Error('no answer from the network')); }, NETWORK_WAIT_MS);
    fetch(request).then(resolve, reject);
  });
}

// Pages: the network first (a copy kept of each form page), the copy when it is down.
async function page(request) {
  try {
    var res = await network(request);
    if (res.status === 200) {
      var copy = res.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return res;
  } catch (err) {
    var cache = await caches.open(CACHE);
    var cached = (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
    if (cached) return cached;
    throw err;
  }
}

// Styles and scripts: the copy, refreshed from the network when it answers.
async function asset(request) {
  var cache = await caches.open(CACHE);
  var cached = await cache.match(request);
  var fresh = fetch(request).then(function (res) {
    if (res.status === 200) cache.put(request, res.clone());
    return res;
  });
  if (cached) {
    fresh.catch(function () {});
    return cached;
  }
  return fresh;
}

// A form sent: to the server when it can be reached; else kept on the tablet, and a blank form says so.
async function submit(request) {
  var body = await request.clone().formData();
  try {
    return await network(request);
  } catch (err) {
    var fields = {};
    body.forEach(function (value, name) {
      if (typeof value !== 'string') return;
      if (name in fields) fields[name] = [].concat(fields[name], value);
      else fields[name] = value;
    });
    // Without the page's id and pass (a page from before it was a kiosk), or when only switching language, nothing is
    // kept: the browser says it is offline, and going back finds the answers still filled in.
    if (!fields.answer_id || !fields.kiosk_pass || !fields.kiosk_day || !fields.kiosk_return || fields.switch_lang) throw err;
    // Back to the kiosk's blank form: a page of this site's surveys, never elsewhere.
    var back = new URL(fields.kiosk_return, self.location.origin);
    if (back.origin !== self.location.origin || back.pathname.indexOf('/surveys/') !== 0) throw err;
    var entry = { answerId: fields.answer_id, day: fields.kiosk_day, pass: fields.kiosk_pass, slug: decodeURIComponent(new URL(request.url).pathname.split('/')[2]) };
    QUEUE_FIELDS.forEach(function (name) { delete fields[name]; });
    entry.fields = fields;
    await self.KioskQueue.add(entry);
    if (self.registration.sync) self.registration.sync.register('kiosk-answers').catch(function () {});
    back.hash = 'saved';
    return Response.redirect(back.href, 303);
  }
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && request.mode === 'navigate' && /^\/surveys\/[^/]+$/.test(url.pathname)) event.respondWith(submit(request));
  else if (request.method !== 'GET') return;
  else if (request.mode === 'navigate' && url.pathname.indexOf('/surveys/') === 0) event.respondWith(page(request));
  else if (ASSETS.indexOf(url.pathname) !== -1) event.respondWith(asset(request));
});

// Background Sync (Chromium browsers): sent even when the kiosk page is closed; a failed round is retried later.
self.addEventListener('sync', function (event) {
  if (event.tag !== 'kiosk-answers') return;
  event.waitUntil(
    self.KioskQueue.flush().then(function (done) {
      if (!done) throw new Error('answers still waiting');
    }),
  );
});
