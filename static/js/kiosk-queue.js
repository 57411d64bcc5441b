// Kiosk: answers given while the tablet is offline wait in IndexedDB, each under the random id made when the resident
// started, and are sent when the connection returns. Shared by the page (kiosk-offline.js) and the service worker.
(function (scope) {
  'use strict';
  var DB_NAME = 'cg-kiosk';
  var ANSWERS = 'answers';
  var COUNTS = 'counts';

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function openDb() {
    var req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = function () {
      req.result.createObjectStore(ANSWERS, { keyPath: 'answerId' });
      req.result.createObjectStore(COUNTS);
    };
    return request(req);
  }

  // Runs `work` on a store; resolves with its result once the transaction has committed.
  function withStore(name, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result;
        request(work(tx.objectStore(name))).then(function (value) { result = value; }, reject);
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  var sending = null;

  // Sends every waiting answer; resolves true when none is left to try again (offline, 429 or 5xx leave the rest).
  async function send() {
    var entries = await withStore(ANSWERS, 'readonly', function (store) { return store.getAll(); });
    for (var i = 0; i < entries.length; i++) {
      var entry = entries[i];
      var res;
      try {
        res = await fetch('/surveys/' + encodeURIComponent(entry.slug) + '/kiosk-answers', {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ answerId: entry.answerId, day: entry.day, pass: entry.pass, fields: entry.fields }),
        });
      } catch {
        return false;
      }
      if (res.status === 429 || res.status >= 500) return false;
      // Stored now or earlier (the server answers a replay as the first time), or refused for good: it leaves the tablet.
      await withStore(ANSWERS, 'readwrite', function (store) { return store.delete(entry.answerId); });
      if (!res.ok) {
        var refused = (await withStore(COUNTS, 'readonly', function (store) { return store.get('refused'); })) || 0;
        await withStore(COUNTS, 'readwrite', function (store) { return store.put(refused + 1, 'refused'); });
      }
    }
    return true;
  }

  scope.KioskQueue = {
    /** Keeps an answer on the device: { answerId, day, pass, slug, fields }. */
    add: function (entry) {
      return withStore(ANSWERS, 'readwrite', function (store) { return store.put(entry); });
    },
    /** How many answers wait: a number, never their content. */
    count: function () {
      return withStore(ANSWERS, 'readonly', function (store) { return store.count(); });
    },
    /** How many answers the server refused for good (revoked link, too old, invalid). */
    refused: function () {
      return withStore(COUNTS, 'readonly', function (store) { return store.get('refused'); }).then(function (n) { return n || 0; });
    },
    /** Notes the kiosk link the tablet now answers for: a new one (staff set the tablet up again) clears the refused count. */
    opened: function (pass) {
      return withStore(COUNTS, 'readwrite', function (store) {
        var known = store.get('pass');
        known.addEventListener('success', function () {
          if (known.result === pass) return;
          store.put(pass, 'pass');
          store.put(0, 'refused');
        });
        return known;
      });
    },
    /** Sends what waits, one sending at a time in this context. */
    flush: function () {
      if (!sending) sending = send().finally(function () { sending = null; });
      return sending;
    },
  };
})(self);
