// Kiosk: a form left idle warns, then starts again blank, so the next person never sees someone else's answers.
(function () {
  'use strict';
  var IDLE_MS = 90 * 1000;
  var GRACE_MS = 30 * 1000;
  var form = document.getElementById('survey-form');
  var warning = document.getElementById('kiosk-warning');
  var keepGoing = document.getElementById('kiosk-keep-going');
  if (!form || !warning || !keepGoing || !form.dataset.kioskReset) return;
  var idleTimer = null;
  var resetTimer = null;
  var returnFocus = null;

  function warn() {
    returnFocus = document.activeElement;
    warning.hidden = false;
    keepGoing.focus();
    resetTimer = setTimeout(function () {
      window.location.replace(form.dataset.kioskReset);
    }, GRACE_MS);
  }

  function active() {
    clearTimeout(idleTimer);
    if (!warning.hidden) {
      clearTimeout(resetTimer);
      warning.hidden = true;
      if (returnFocus && returnFocus !== document.body && document.contains(returnFocus)) returnFocus.focus();
    }
    idleTimer = setTimeout(warn, IDLE_MS);
  }

  // Back (or Forward) to a form that was sent brings it back as it was, answers included: start it blank instead.
  window.addEventListener('pageshow', function (event) {
    var navigation = window.performance && window.performance.getEntriesByType ? window.performance.getEntriesByType('navigation')[0] : null;
    if (event.persisted || (navigation && navigation.type === 'back_forward')) form.reset();
  });

  keepGoing.addEventListener('click', active);
  ['pointerdown', 'keydown', 'input', 'scroll', 'touchstart'].forEach(function (type) {
    document.addEventListener(type, function (event) {
      // Activity on the warning itself is the choice to keep going (its button), not a silent dismissal.
      if (!warning.hidden && warning.contains(event.target)) return;
      active();
    }, { passive: true, capture: true });
  });
  active();
})();
