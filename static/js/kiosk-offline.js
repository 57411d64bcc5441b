// Kiosk: installs the offline service worker, gives the answer a random id when the resident starts (the server stores
// an answer once however often it arrives), and sends answers kept on the tablet on load, when the connection
// returns and every 30 s. The tablet shows how many wait, never what they say.
(function () {
  'use strict';
  var form = document.getElementById('survey-form');
  var status = document.getElementById('kiosk-queue');
  if (!form || !status || !form.dataset.kioskPass || !('serviceWorker' in navigator) || !window.indexedDB || !window.crypto || !crypto.randomUUID) return;
  var RETRY_MS = 30 * 1000;

  navigator.serviceWorker.register('/static/js/kiosk-sw.js', { scope: '/surveys/' }).catch(function () {});

  function hidden(name, value) {
    var input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.appendChild(input);
    return input;
  }
  var answerId = hidden('answer_id', crypto.randomUUID());
  hidden('kiosk_pass', form.dataset.kioskPass);
  hidden('kiosk_return', form.dataset.kioskReset || location.pathname + location.search);
  var day = hidden('kiosk_day', '');

  // The day the answers are given, on the tablet's own calendar.
  function today() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? '0' : '') + n; };
    return now.getFullYear() + '-' + pad(now.getMonth() + 1) + '-' + pad(now.getDate());
  }
  form.addEventListener('submit', function () { day.value = today(); });
  // A form brought back from the back-forward cache is a new resident's: a new id.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) answerId.value = crypto.randomUUID();
  });

  // The service worker sends a form kept on the tablet back here with #saved.
  var saved = location.hash === '#saved';
  if (saved) history.replaceState(null, '', location.pathname + location.search);
  document.addEventListener('input', function () {
    if (!saved) return;
    saved = false;
    show();
  });

  function show() {
    return Promise.all([KioskQueue.count(), KioskQueue.refused()]).then(function (counts) {
      var waiting = counts[0];
      var parts = [];
      if (saved) parts.push(status.dataset.saved);
      if (waiting === 1) parts.push(status.dataset.waitingOne);
      else if (waiting > 1) parts.push(status.dataset.waitingMany.replace('{n}', waiting));
      if (counts[1] > 0) parts.push(status.dataset.refused.replace('{n}', counts[1]));
      status.textContent = parts.join(' ');
      status.hidden = parts.length === 0;
    });
  }

  function send() {
    return KioskQueue.flush().then(show, show);
  }
  window.addEventListener('online', send);
  setInterval(send, RETRY_MS);
  KioskQueue.opened(form.dataset.kioskPass).then(show).then(send);
})();
